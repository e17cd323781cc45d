"""Tenant helpers beyond `tenancy`: the owner of an invoice, its settings, a secret given on
first use. Provider settings (a notification URL, a refund-approval switch) live in
`Tenant.attrs`; always read them inside the caller's transaction, not from the tenant cache.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.core.errors import NotFound
from app.core.tables import Invoice, Tenant


def owner_of(session: Session, invoice: Invoice) -> Tenant:
    tenant = session.get(Tenant, invoice.tenant_id)
    if tenant is None:
        raise NotFound("tenant", invoice.tenant_id)
    return tenant


def set_secret(session: Session, tenant: Tenant, secret: str) -> Tenant:
    """Give a tenant created without a secret the one it first authenticates with."""
    tenant.secret = secret
    session.add(tenant)
    return tenant


def settings_of(tenant: Tenant) -> dict[str, Any]:
    return dict(tenant.attrs)


def update_settings(session: Session, tenant: Tenant, **changes: Any) -> Tenant:
    tenant.attrs = {**tenant.attrs, **changes}
    session.add(tenant)
    return tenant
