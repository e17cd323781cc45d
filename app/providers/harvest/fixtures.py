"""`fixtures/harvest.toml`: accounts with their users, OAuth tokens, clients and invoices.

Invoices are written with the fields of a create request and go through the same parsing,
computation and lifecycle commands as API calls; `state`, `payments` and `sent_to` then drive
them where they should be, and the loader checks they got there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from ...core import logins, tenancy
from ...core.fixtures import FixtureError
from ...core.sandbox import Sandbox
from ...core.tables import Tenant
from . import codec, service, wire
from .auth import ACCOUNT_ID_BASE, PROVIDER, USERS
from .errors import Invalid
from .service import Actor

STATES = ("draft", "open", "partial", "paid", "closed")
_FIXTURE_ONLY = ("state", "payments", "sent_to", "issued_days_ago")


def _wire_text(value: Any) -> str | None:
    """A TOML value as the text a client would have sent for it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # the shortest repr is the literal written in the file
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _fields(raw: dict[str, Any]) -> wire.Fields:
    return {key.replace("-", "_"): _wire_text(value) for key, value in raw.items()
            if key not in _FIXTURE_ONLY}


def _instant(value: Any, what: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return codec.parse_datetime(_wire_text(value), what)
    except codec.CodecError as exc:
        raise FixtureError(exc.message) from None


def _user(tenant_public_id: int, index: int, spec: dict[str, Any]) -> dict[str, Any]:
    email = spec.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise FixtureError("harvest users need an email")
    return {
        "id": int(spec.get("id", tenant_public_id * 100 + index + 1)),
        "email": email,
        "password": spec.get("password"),
        "first_name": str(spec.get("first_name", "")),
        "last_name": str(spec.get("last_name", "")),
        "admin": bool(spec.get("admin", True)),
        "timezone": str(spec.get("timezone", "UTC")),
    }


def load(sandbox: Sandbox, session: Session, document: dict[str, Any],
         only_tenant: str | None) -> None:
    now = sandbox.clock.now()
    for spec in document.get("accounts", []):
        key = spec.get("subdomain")
        if not isinstance(key, str) or not key:
            raise FixtureError("harvest accounts need a subdomain")
        if only_tenant is not None and key != only_tenant:
            continue
        tenant = _account(session, spec, key, now)
        users = logins.members(tenant, USERS)
        owner = users[0] if users else {"id": None, "email": "", "first_name": "Account",
                                        "last_name": "Owner"}
        actor = Actor(tenant, owner)
        for i, raw in enumerate(spec.get("invoices", [])):
            try:
                _invoice(session, actor, dict(raw), now)
            except (Invalid, codec.CodecError, FixtureError) as exc:
                reason = ("; ".join(exc.messages) if isinstance(exc, Invalid)
                          else exc.message if isinstance(exc, codec.CodecError) else str(exc))
                raise FixtureError(f"harvest account {key} invoice #{i + 1}: {reason}") from None


def _account(session: Session, spec: dict[str, Any], key: str, now: datetime) -> Tenant:
    attrs: dict[str, Any] = {"subdomain": key, "name": str(spec.get("name", key))}
    if "currency" in spec:
        attrs["currency"] = str(spec["currency"])
    if isinstance(spec.get("modules"), dict):
        attrs["modules"] = dict(spec["modules"])
    attrs["clients"] = [dict(c) for c in spec.get("clients", [])]
    tenant = tenancy.create(session, PROVIDER, key, now, public_id=spec.get("id"),
                            public_id_base=ACCOUNT_ID_BASE, from_fixture=True, attrs=attrs)
    assert tenant.id is not None
    for index, user in enumerate(spec.get("users", [])):
        logins.add_member(session, tenant.id, USERS, "email",
                          _user(tenant.public_id, index, user))
    for token in spec.get("tokens", []):
        value = token.get("access_token")
        if not isinstance(value, str) or not value:
            raise FixtureError(f"harvest account {key}: tokens need an access_token")
        expires = (_instant(token["expires_at"], "expires_at") if "expires_at" in token
                   else now + timedelta(hours=float(token.get("expires_in_hours", 18))))
        logins.issue_token(session, tenant.id, value, now, expires)
    refreshed = session.get(Tenant, tenant.id)
    assert refreshed is not None
    return refreshed


def _invoice(session: Session, actor: Actor, raw: dict[str, Any], now: datetime) -> None:
    state = raw.get("state", "draft")
    if state not in STATES:
        raise FixtureError(f"state must be one of {', '.join(STATES)}")
    fields = _fields(raw)
    if "issued_days_ago" in raw:
        fields["issued_at"] = (now.date() - timedelta(days=int(raw["issued_days_ago"]))).isoformat()
    row = service.create_invoice(session, actor, wire.invoice(fields, creating=True), now)
    if state != "draft":
        if raw.get("sent_to"):
            message = wire.message({"recipients": _wire_text(raw["sent_to"])}, sending=True)
            service.send(session, actor, row, message, now)
        else:
            service.state_action(session, actor, row, "mark_as_sent",
                                 wire.message({}, sending=False), now)
    for payment in raw.get("payments", []):
        sent = _fields(payment)
        sent.setdefault("paid_at", now.isoformat())  # default: paid at load time
        data, minor = wire.payment(sent, row.currency)
        service.record_payment(session, actor, row, data, minor, now)
    if state == "closed":
        service.state_action(session, actor, row, "mark_as_closed",
                             wire.message({}, sending=False), now)
    if row.status != state:
        raise FixtureError(f"it should be {state} but its payments leave it {row.status}")
