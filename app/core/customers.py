"""A tenant's customer vault (Maast): invoices name customers that must exist or be saved."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.core.tables import Customer


def find(session: Session, tenant_id: int, ref: str) -> Customer | None:
    return session.exec(
        select(Customer).where(col(Customer.tenant_id) == tenant_id, col(Customer.ref) == ref)
    ).first()


def save(session: Session, tenant_id: int, ref: str, attrs: dict[str, Any],
         now: datetime) -> Customer:
    """Create the customer, or replace its details if it exists."""
    customer = find(session, tenant_id, ref)
    if customer is None:
        customer = Customer(tenant_id=tenant_id, ref=ref, attrs=dict(attrs), created_at=now)
    else:
        customer.attrs = dict(attrs)
    session.add(customer)
    session.flush()
    return customer
