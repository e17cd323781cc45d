"""Logins that are not the tenant key itself: members listed on a tenant (users signing in with
an email and password) and OAuth access tokens bound to a tenant.

Members live in the tenant's `attrs[collection]` as dicts; a tenant rarely has more than a
handful, so finding one by login scans the provider's tenants instead of indexing JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from .tables import AccessToken, Tenant


def members(tenant: Tenant, collection: str) -> list[dict[str, Any]]:
    value = tenant.attrs.get(collection)
    return [m for m in value if isinstance(m, dict)] if isinstance(value, list) else []


def member(tenant: Tenant, collection: str, field: str, value: str) -> dict[str, Any] | None:
    """The tenant's member whose `field` equals `value`, compared case-insensitively."""
    wanted = value.casefold()
    for candidate in members(tenant, collection):
        if str(candidate.get(field, "")).casefold() == wanted:
            return candidate
    return None


def tenant_of_member(session: Session, provider: str, collection: str, field: str,
                     value: str) -> Tenant | None:
    """The oldest of the provider's tenants that lists a member with this login."""
    rows = session.exec(
        select(Tenant).where(col(Tenant.provider) == provider).order_by(col(Tenant.id))
    ).all()
    return next((row for row in rows if member(row, collection, field, value) is not None), None)


def add_member(session: Session, tenant_id: int, collection: str, field: str,
               new: dict[str, Any], defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """Append `new` unless a member with the same login exists (that one is returned).

    Reads the row inside the caller's write transaction, so two first logins racing each
    other cannot both append. `defaults` fill tenant attrs that are still missing.
    """
    row = session.get(Tenant, tenant_id)
    if row is None:
        raise LookupError(f"tenant {tenant_id} does not exist")
    existing = member(row, collection, field, str(new[field]))
    if existing is not None:
        return existing
    attrs = {**(defaults or {}), **row.attrs}
    attrs[collection] = [*members(row, collection), dict(new)]
    row.attrs = attrs
    session.add(row)
    session.flush()
    return dict(new)


def issue_token(session: Session, tenant_id: int, token: str, now: datetime,
                expires_at: datetime) -> AccessToken:
    row = session.get(AccessToken, token)
    if row is None:
        row = AccessToken(token=token, tenant_id=tenant_id, expires_at=expires_at, created_at=now)
    else:
        row.tenant_id, row.expires_at = tenant_id, expires_at
    session.add(row)
    session.flush()
    return row


def tenant_of_token(session: Session, token: str, now: datetime) -> Tenant | None:
    """The tenant a live (unexpired by the sandbox clock) access token belongs to."""
    row = session.get(AccessToken, token)
    if row is None or row.expires_at <= now:
        return None
    return session.get(Tenant, row.tenant_id)


def token_known(session: Session, token: str) -> bool:
    return session.get(AccessToken, token) is not None
