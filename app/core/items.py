"""Addressable invoice items (freight charges) and the invoice total derived from them.

An item counts towards its invoice's total while it is BILLABLE or APPROVED (by the payer);
NON_BILLABLE and REJECTED items stay on record but are not charged. Every change to an attached
item re-derives `Invoice.total_minor` in the same transaction, so the total is always the sum of
the counted items. `attrs["system_amount_minor"]` is what the payer's system expected for an item
(its amount when not given); the invoice keeps that sum in `attrs["system_total_minor"]`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from . import invoices
from .errors import Conflict, NotFound, RuleViolation
from .query import Page
from .tables import Invoice, InvoiceItem

BILLABLE = "BILLABLE"
NON_BILLABLE = "NON_BILLABLE"
APPROVED = "APPROVED"
REJECTED = "REJECTED"
STATUSES = (BILLABLE, NON_BILLABLE, APPROVED, REJECTED)
COUNTED = frozenset({BILLABLE, APPROVED})

SYSTEM_AMOUNT = "system_amount_minor"
SYSTEM_TOTAL = "system_total_minor"


def system_amount(item: InvoiceItem) -> int:
    value = item.attrs.get(SYSTEM_AMOUNT)
    return item.amount_minor if value is None else int(value)


def find_item(session: Session, tenant_id: int, ref: str) -> InvoiceItem | None:
    return session.exec(select(InvoiceItem).where(
        col(InvoiceItem.tenant_id) == tenant_id, col(InvoiceItem.ref) == ref)
    ).first()


def get_item(session: Session, tenant_id: int, ref: str) -> InvoiceItem:
    item = find_item(session, tenant_id, ref)
    if item is None:
        raise NotFound("item", ref)
    return item


def items_of(session: Session, invoice: Invoice) -> list[InvoiceItem]:
    return list(session.exec(
        select(InvoiceItem).where(col(InvoiceItem.invoice_id) == invoice.id)
        .order_by(col(InvoiceItem.id))
    ).all())


def list_items(
    session: Session,
    tenant_id: int,
    *,
    invoice_id: int | None = None,
    statuses: Collection[str] | None = None,
    descending: bool = False,
    page: Page | None = None,
) -> tuple[list[InvoiceItem], int]:
    """A page of the tenant's items, oldest first (or newest first), and how many there are."""
    conditions = [col(InvoiceItem.tenant_id) == tenant_id]
    if invoice_id is not None:
        conditions.append(col(InvoiceItem.invoice_id) == invoice_id)
    if statuses:
        conditions.append(col(InvoiceItem.status).in_(list(statuses)))
    total = session.exec(select(func.count()).select_from(InvoiceItem).where(*conditions)).one()
    order = (col(InvoiceItem.created_at).desc(), col(InvoiceItem.id).desc()) if descending \
        else (col(InvoiceItem.created_at).asc(), col(InvoiceItem.id).asc())
    stmt = select(InvoiceItem).where(*conditions).order_by(*order)
    page = page or Page()
    if page.offset:
        stmt = stmt.offset(page.offset)
    if page.limit is not None:
        stmt = stmt.limit(page.limit)
    return list(session.exec(stmt).all()), int(total)


def _check(amount_minor: int | None, status: str | None, system_minor: int | None) -> None:
    if amount_minor is not None and amount_minor < 0:
        raise RuleViolation("negative_amount", "an item amount cannot be negative")
    if system_minor is not None and system_minor < 0:
        raise RuleViolation("negative_amount", "an item's system amount cannot be negative")
    if status is not None and status not in STATUSES:
        raise RuleViolation("unknown_status", f"{status} is not an item status")


def _allow(session: Session, invoice: Invoice | None, action: str | None, now: datetime) -> None:
    """The invoice's lifecycle must allow `action` (e.g. editing charges) in its current state."""
    if invoice is not None and action is not None:
        invoices.transition(session, invoice, action, now)


def add_item(
    session: Session,
    tenant_id: int,
    now: datetime,
    *,
    ref: str,
    amount_minor: int,
    status: str = BILLABLE,
    attrs: dict[str, Any] | None = None,
    invoice: Invoice | None = None,
    action: str | None = None,
) -> InvoiceItem:
    attrs = dict(attrs or {})
    _check(amount_minor, status, attrs.get(SYSTEM_AMOUNT))
    if invoice is not None and invoice.tenant_id != tenant_id:
        raise NotFound("invoice", invoice.id)
    _allow(session, invoice, action, now)
    if find_item(session, tenant_id, ref) is not None:
        raise Conflict(f"item {ref} already exists")
    item = InvoiceItem(tenant_id=tenant_id, invoice_id=invoice.id if invoice else None, ref=ref,
                       status=status, amount_minor=amount_minor, attrs=attrs, created_at=now,
                       updated_at=now)
    session.add(item)
    if invoice is not None:
        sync_total(session, invoice, now)
    else:
        session.flush()
    return item


def update_item(
    session: Session,
    item: InvoiceItem,
    now: datetime,
    *,
    amount_minor: int | None = None,
    status: str | None = None,
    attrs: dict[str, Any] | None = None,
    attach_to: Invoice | None = None,
    action: str | None = None,
) -> InvoiceItem:
    """Change an item; `action` is checked against the invoice it is (or becomes) part of."""
    _check(amount_minor, status, (attrs or {}).get(SYSTEM_AMOUNT))
    current = session.get(Invoice, item.invoice_id) if item.invoice_id is not None else None
    if attach_to is not None and current is not None and attach_to.id != current.id:
        raise RuleViolation("item_attached", f"item {item.ref} belongs to another invoice")
    if attach_to is not None and attach_to.tenant_id != item.tenant_id:
        raise NotFound("invoice", attach_to.id)
    target = attach_to or current
    _allow(session, target, action, now)
    if amount_minor is not None:
        item.amount_minor = amount_minor
    if status is not None:
        item.status = status
    if attrs is not None:
        item.attrs = {**item.attrs, **attrs}
    if target is not None:
        item.invoice_id = target.id
    item.updated_at = now
    session.add(item)
    if target is not None:
        sync_total(session, target, now)
    return item


def set_status(session: Session, item: InvoiceItem, status: str, now: datetime,
               attrs: dict[str, Any] | None = None) -> InvoiceItem:
    """A status change decided by a transition of the invoice (approval, rejection)."""
    return update_item(session, item, now, status=status, attrs=attrs)


def sync_total(session: Session, invoice: Invoice, now: datetime) -> int:
    """Re-derive the invoice total (and system total) from its counted items."""
    session.flush()
    counted = session.exec(select(InvoiceItem).where(
        col(InvoiceItem.invoice_id) == invoice.id, col(InvoiceItem.status).in_(list(COUNTED)))
    ).all()
    total = sum(item.amount_minor for item in counted)
    if total < invoice.paid_minor:
        raise RuleViolation("total_below_paid",
                            "the invoice total cannot be less than the amount already paid")
    invoice.total_minor = total
    invoice.attrs = {**invoice.attrs, SYSTEM_TOTAL: sum(system_amount(i) for i in counted)}
    invoice.updated_at = now
    session.add(invoice)
    session.flush()
    return total


def system_total(invoice: invoices.AnyInvoice) -> int:
    return int(invoice.attrs.get(SYSTEM_TOTAL, invoice.total_minor))
