"""`fixtures/payone.toml`: demo merchants and their invoices in any SmartLink state.

Invoices are written as `invoicesDetails` items and created by the same operation as
createInvoice / createPreAuthInvoice; fixture-only keys then drive them through the lifecycle
the way the API and the hosted checkout would (see the comments in the TOML file).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from ...core import checkout, invoices, settlement, tenancy
from ...core.fixtures import FixtureError
from ...core.sandbox import Sandbox
from ...core.tables import Invoice, Tenant
from . import control, operations, wire
from .auth import PROVIDER
from .errors import PayOneError

STATES = ("NEW", "INACTIVE", "PAID", "AUTHORIZED", "EXPIRED", "REFUNDED",
          "PENDING_REFUND_APPROVAL")
FIXTURE_KEYS = ("state", "pre_auth", "created_days_ago", "card_number", "complete_amount",
                "refund_amount")


def load(sandbox: Sandbox, session: Session, document: dict[str, Any],
         only_tenant: str | None) -> None:
    now = sandbox.clock.now()
    for spec in document.get("merchants", []):
        merchant_id = spec.get("merchantID")
        if not isinstance(merchant_id, str) or not wire.MERCHANT_ID.fullmatch(merchant_id):
            raise FixtureError("payone merchants need a merchantID (1-30 letters, digits, ._-)")
        if only_tenant is not None and merchant_id != only_tenant:
            continue
        token = spec.get("authenticationToken")
        if token is not None and (not isinstance(token, str) or not wire.TOKEN.fullmatch(token)):
            raise FixtureError(f"payone merchant {merchant_id}: invalid authenticationToken")
        settings = {k: spec[k] for k in control.SETTINGS if k in spec}
        try:
            control.check_settings(settings)
        except ValueError as exc:
            raise FixtureError(f"payone merchant {merchant_id}: {exc}") from None
        tenant = tenancy.create(session, PROVIDER, merchant_id, now, secret=token,
                                from_fixture=True, attrs=settings)
        for i, raw in enumerate(spec.get("invoices", [])):
            try:
                _invoice(sandbox, session, tenant, dict(raw))
            except PayOneError as exc:
                raise FixtureError(f"payone merchant {merchant_id} invoice #{i + 1}: "
                                   f"{exc}") from None


def _minor(raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not wire.AMOUNT.fullmatch(str(value)):
        raise FixtureError(f"{key} must be an amount in minor units")
    return int(value)


def _invoice(sandbox: Sandbox, session: Session, tenant: Tenant, raw: dict[str, Any]) -> Invoice:
    extra = {k: raw.pop(k) for k in FIXTURE_KEYS if k in raw}
    state = extra.get("state", "NEW")
    pre_auth = bool(extra.get("pre_auth", False))
    if state not in STATES:
        raise FixtureError(f"state must be one of {', '.join(STATES)}")
    if state == "AUTHORIZED" and not pre_auth:
        raise FixtureError("only a pre_auth invoice can be AUTHORIZED")
    now = sandbox.clock.now()
    created = now - timedelta(days=int(extra.get("created_days_ago", 0)))
    ctx = operations.Context(sandbox, session, tenant, tenant.secret or "", created)
    row = operations.create_rows(ctx, {"invoicesDetails": [raw]}, pre_auth=pre_auth)[0]
    if state == "INACTIVE":
        invoices.transition(session, row, "deactivate", created)
    if state in ("PAID", "AUTHORIZED", "REFUNDED", "PENDING_REFUND_APPROVAL"):
        # Paid the way customers pay: by card at the hosted checkout.
        checkout.pay_by_card(session, invoices.ensure_checkout_token(row), created,
                             amount_minor=None, card_number=extra.get("card_number"))
        if pre_auth and state != "AUTHORIZED":
            captured = _minor(extra, "complete_amount") or row.paid_minor
            settlement.complete(session, row, created, amount_minor=captured,
                                currency=row.currency)
        if state != "PAID" and state != "AUTHORIZED":
            settlement.refund(session, row, created, amount_minor=_minor(extra, "refund_amount"),
                              needs_approval=state == "PENDING_REFUND_APPROVAL")
    assert tenant.id is not None and row.ref is not None
    invoices.find_invoice(session, tenant.id, row.ref, now=now)  # expiry, as any read does
    if row.status != state:
        raise FixtureError(f"invoice {row.ref} ends up {row.status}, not {state} "
                           "(check created_days_ago against expiryperiod)")
    return row
