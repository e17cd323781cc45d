"""Per-tenant settings a provider keeps for an account (registered API clients, callback URLs,
approval policies), stored on the tenant row.

Always read inside the caller's transaction: the tenant directory caches rows per process, and a
cached row may predate the last change made here.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlmodel import Session, col, select

from .errors import NotFound
from .tables import Invoice, Tenant


def tenant(session: Session, tenant_id: int) -> Tenant:
    row = session.get(Tenant, tenant_id)
    if row is None:
        raise NotFound("tenant", tenant_id)
    return row


def get(session: Session, tenant_id: int, name: str, default: Any = None) -> Any:
    """A copy of the setting, so callers may change it and `put` it back."""
    value = tenant(session, tenant_id).attrs.get(name, default)
    return copy.deepcopy(value)


def put(session: Session, tenant_id: int, name: str, value: Any) -> None:
    row = tenant(session, tenant_id)
    row.attrs = {**row.attrs, name: copy.deepcopy(value)}
    session.add(row)


def remove(session: Session, tenant_id: int, name: str) -> None:
    row = tenant(session, tenant_id)
    row.attrs = {k: v for k, v in row.attrs.items() if k != name}
    session.add(row)


def tenants_of(session: Session, provider: str) -> list[Tenant]:
    return list(session.exec(
        select(Tenant).where(col(Tenant.provider) == provider).order_by(col(Tenant.id))
    ).all())


def owner_of(session: Session, invoice: Invoice) -> Tenant:
    return tenant(session, invoice.tenant_id)


def update(session: Session, row: Tenant, **changes: Any) -> Tenant:
    """Set several settings at once on a row read in this transaction."""
    row.attrs = {**row.attrs, **copy.deepcopy(changes)}
    session.add(row)
    return row


def set_secret(session: Session, row: Tenant, secret: str) -> Tenant:
    """Give a tenant created without a secret the one it first authenticates with."""
    row.secret = secret
    session.add(row)
    return row
