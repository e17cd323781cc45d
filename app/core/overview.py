"""Provider-neutral reads across every tenant: the dashboard's tenants, invoices and counts.

Everything here reads; the one write is `expire_overdue`, which stores what the clock has
already decided (an expired validity) before a listing shows or filters by status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from . import invoices, money
from .clock import iso_utc
from .lifecycles import LIFECYCLES
from .query import balance, fetch_rows_with_key
from .rows import InvoiceRow
from .tables import (
    Delivery,
    Invoice,
    InvoiceCount,
    InvoiceEvent,
    InvoiceItem,
    Payment,
    Tenant,
)

# sort key -> (column, descending); a leading "-" in a request flips the direction
SORTS = {"created": "created_at", "due": "due_date", "amount": "total_minor",
         "balance": "balance_minor", "number": "number"}
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Line:
    """One line of an invoice as its provider computed it, in the invoice's currency."""

    description: str
    amount_minor: int
    quantity: str | None = None
    unit_price_minor: int | None = None


@dataclass(frozen=True)
class Breakdown:
    lines: list[Line] = field(default_factory=list)
    tax_minor: int = 0
    discount_minor: int = 0


@dataclass(frozen=True)
class InvoiceQuery:
    provider: str | None = None
    tenant: str | None = None
    status: str | None = None
    search: str | None = None  # number, client reference or sandbox id
    changed_since: datetime | None = None
    sort: str = "-created"
    offset: int = 0
    limit: int = 50


class BadQuery(ValueError):
    pass


@dataclass(frozen=True)
class InvoiceDetail:
    invoice: Invoice
    tenant: Tenant
    payments: list[Payment]
    events: list[InvoiceEvent]
    items: list[InvoiceItem]
    deliveries: list[Delivery]


def amount(minor: int, currency: str) -> str:
    return str(money.from_minor(minor, currency))


# --- the clock's pending decisions -------------------------------------------------------------

def overdue(session: Session, now: datetime) -> bool:
    """Whether any invoice's validity has ended without it being stored as expired yet."""
    for lifecycle in LIFECYCLES.values():
        if lifecycle.expiry is None:
            continue
        found = session.exec(select(Invoice.id).where(
            col(Invoice.provider) == lifecycle.provider,
            col(Invoice.status).in_(lifecycle.expiry[0]),
            col(Invoice.expires_at).is_not(None), col(Invoice.expires_at) <= now,
        ).limit(1)).first()
        if found is not None:
            return True
    return False


def expire_overdue(session: Session, now: datetime) -> int:
    return invoices.expire_due(session, now)


# --- tenants -----------------------------------------------------------------------------------

def tenants(session: Session, provider: str | None = None) -> list[Tenant]:
    stmt = select(Tenant).order_by(col(Tenant.provider), col(Tenant.id))
    if provider is not None:
        stmt = stmt.where(col(Tenant.provider) == provider)
    return list(session.exec(stmt).all())


def status_counts(session: Session) -> dict[int, dict[str, int]]:
    """tenant id -> status -> number of invoices."""
    rows = session.exec(
        select(Invoice.tenant_id, Invoice.status, func.count())
        .group_by(col(Invoice.tenant_id), col(Invoice.status))
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for tenant_id, status, count in rows:
        counts.setdefault(tenant_id, {})[status] = int(count)
    return counts


def recent_deliveries(session: Session, limit: int = 10) -> list[Delivery]:
    return list(session.exec(select(Delivery).order_by(col(Delivery.id).desc())
                             .limit(limit)).all())


# --- invoices ----------------------------------------------------------------------------------

def _conditions(query: InvoiceQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.provider is not None:
        conditions.append(col(Invoice.provider) == query.provider)
    if query.tenant is not None:
        conditions.append(col(Tenant.key) == query.tenant)
    if query.status is not None:
        conditions.append(func.lower(col(Invoice.status)) == query.status.lower())
    if query.changed_since is not None:
        conditions.append(col(Invoice.updated_at) >= query.changed_since)
    if query.search:
        text = query.search.strip()
        pattern = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matches: list[ColumnElement[bool]] = [
            col(Invoice.number).like(pattern, escape="\\"),
            col(Invoice.ref).like(pattern, escape="\\"),
        ]
        if text.isascii() and text.isdigit() and len(text) <= 18:
            matches.append(col(Invoice.id) == int(text))
        conditions.append(or_(*matches))
    return conditions


def _order(sort: str) -> list[Any]:
    descending = sort.startswith("-")
    name = SORTS.get(sort.removeprefix("-"))
    if name is None:
        raise BadQuery(f"sort must be one of {sorted(SORTS)}, optionally with a leading '-'")
    column: Any = balance() if name == "balance_minor" else getattr(Invoice, name)
    ident = col(Invoice.id)
    return [column.desc() if descending else column.asc(),
            ident.desc() if descending else ident.asc()]


def list_invoices(session: Session,
                  query: InvoiceQuery) -> tuple[list[tuple[InvoiceRow, str]], int]:
    """Invoices of every tenant matching the query, with their tenant's key, and the total."""
    if not 1 <= query.limit <= MAX_PER_PAGE:
        raise BadQuery(f"per_page must be between 1 and {MAX_PER_PAGE}")
    order = _order(query.sort)
    conditions = _conditions(query)
    joined = col(Invoice.tenant_id) == col(Tenant.id)
    # Sort and skip over ids alone, then load only the page's rows: sorting whole rows (with
    # their JSON columns) costs several times more on a large table.
    ids = select(Invoice.id).where(*conditions)
    if query.tenant is not None:
        ids = ids.join(Tenant, joined)
    page = [i for i in session.exec(ids.order_by(*order).offset(query.offset)
                                    .limit(query.limit)).all() if i is not None]
    total = _total(session, query, conditions, joined)
    if not page:
        return [], total
    found = {row.id: (row, key) for row, key in fetch_rows_with_key(session, page)}
    return [found[i] for i in page if i in found], total


def _total(session: Session, query: InvoiceQuery, conditions: list[ColumnElement[bool]],
           joined: ColumnElement[bool]) -> int:
    """The number of matching invoices: from the counts kept per tenant and status unless the
    query filters on more than provider, tenant and status (see `tables.InvoiceCount`)."""
    if query.search or query.changed_since is not None:
        counted = select(func.count()).select_from(Invoice)
        if query.tenant is not None:
            counted = counted.join(Tenant, joined)
        return int(session.exec(counted.where(*conditions)).one())
    stmt = (select(func.coalesce(func.sum(InvoiceCount.invoices), 0))
            .join(Tenant, col(InvoiceCount.tenant_id) == col(Tenant.id)))
    if query.provider is not None:
        stmt = stmt.where(col(Tenant.provider) == query.provider)
    if query.tenant is not None:
        stmt = stmt.where(col(Tenant.key) == query.tenant)
    if query.status is not None:
        stmt = stmt.where(func.lower(col(InvoiceCount.status)) == query.status.lower())
    return int(session.exec(stmt).one())


def invoice_detail(session: Session, provider: str, invoice_id: int) -> InvoiceDetail | None:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.provider != provider:
        return None
    tenant = session.get(Tenant, invoice.tenant_id)
    assert tenant is not None
    events = list(session.exec(select(InvoiceEvent).where(
        col(InvoiceEvent.invoice_id) == invoice_id).order_by(col(InvoiceEvent.id))).all())
    items = list(session.exec(select(InvoiceItem).where(
        col(InvoiceItem.invoice_id) == invoice_id).order_by(col(InvoiceItem.id))).all())
    return InvoiceDetail(invoice, tenant, invoices.payments_of(session, invoice), events, items,
                         _deliveries_about(session, invoice))


def _deliveries_about(session: Session, invoice: Invoice) -> list[Delivery]:
    """The tenant's notifications whose body names this invoice (deliveries carry no invoice
    id of their own: each provider's body does)."""
    names = [n for n in (invoice.ref, invoice.number) if n]
    if not names:
        return []
    rows = session.exec(select(Delivery).where(col(Delivery.tenant_id) == invoice.tenant_id)
                        .order_by(col(Delivery.id))).all()
    return [d for d in rows if any(n.encode() in d.body for n in names)]


def lifecycle_events(invoice: Invoice, events: list[InvoiceEvent]) -> list[dict[str, str]]:
    """What happened to the invoice and when, by the sandbox clock, oldest first."""
    found = [{"event": "created", "at": iso_utc(invoice.created_at)}]
    for name, stamp in invoice.stamps.items():
        if name.endswith("_at"):
            label = name.removesuffix("_at").removeprefix("entered_").replace("_", " ")
            found.append({"event": label, "at": stamp})
    for event in events:
        found.append({"event": event.kind, "at": iso_utc(event.created_at)})
    # A transition often sets its own stamp and the state's entry stamp at the same instant.
    unique = {(e["event"], e["at"]): e for e in found}
    return sorted(unique.values(), key=lambda e: e["at"])
