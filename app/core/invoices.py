"""Invoice and payment commands: every rule that moves money or state is enforced here.

Each function runs inside the caller's transaction (`Database.write()`), so a provider can make
several commands one atomic unit. Invariants kept after every command:
paid = sum of payments, balance = total - paid, status consistent with the balance.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any, Required, TypedDict, Unpack, cast, overload

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from . import lifecycle as engine
from . import rows
from .clock import iso_utc
from .db import Tx, sql
from .errors import NotFound, RuleViolation, TransitionRefused
from .lifecycles import LIFECYCLES
from .query import (
    Filter,
    Page,
    Sort,
    count_invoices,
    fetch,
    fetch_rows,
    invoice_scope,
    payment_scope,
    run,
)
from .rows import InvoiceRow, PaymentRow
from .tables import Invoice, InvoiceEvent, InvoiceItem, Payment, Tenant

AnyInvoice = Invoice | InvoiceRow


def lifecycle_of(invoice: AnyInvoice) -> engine.Lifecycle:
    return LIFECYCLES[invoice.provider]


def _engine_view(invoice: AnyInvoice) -> Invoice:
    # The engine and the lifecycle tables only read and set column attributes, which an
    # InvoiceRow has under the same names.
    return cast(Invoice, invoice)


# --- invoices --------------------------------------------------------------------------------

class NewInvoice(TypedDict, total=False):
    """What a command creating an invoice is told; the rest starts empty or at its default."""

    currency: Required[str]
    total_minor: Required[int]
    number: str | None
    ref: str | None  # the client's own id, where the provider has one
    kind: str  # "standard", or e.g. PayOne "PreAuth"
    customer_ref: str | None
    allow_partial: bool
    issue_date: date | None
    due_date: date | None
    expires_at: datetime | None
    attrs: dict[str, Any] | None


def _new_invoice(tenant: Tenant, now: datetime, fields: NewInvoice) -> dict[str, Any]:
    """Every column of a new invoice but its id."""
    if fields["total_minor"] < 0:
        raise RuleViolation("negative_total", "the invoice total cannot be negative")
    assert tenant.id is not None
    return {
        "tenant_id": tenant.id, "provider": tenant.provider,
        "kind": fields.get("kind", "standard"), "ref": fields.get("ref"),
        "number": fields.get("number"), "customer_ref": fields.get("customer_ref"),
        "status": LIFECYCLES[tenant.provider].initial, "currency": fields["currency"],
        "total_minor": fields["total_minor"], "paid_minor": 0, "refunded_minor": 0,
        "allow_partial": fields.get("allow_partial", True),
        "issue_date": fields.get("issue_date"), "due_date": fields.get("due_date"),
        "expires_at": fields.get("expires_at"), "checkout_token": None, "stamps": {},
        "attrs": dict(fields.get("attrs") or {}), "created_at": now, "updated_at": now,
    }


def create_invoice(session: Session, tenant: Tenant, now: datetime,
                   **fields: Unpack[NewInvoice]) -> Invoice:
    """A new invoice, as an ORM instance of this session."""
    invoice = Invoice(**_new_invoice(tenant, now, fields))
    session.add(invoice)
    session.flush()
    return invoice


def insert_invoice(tx: Tx, tenant: Tenant, now: datetime,
                   **fields: Unpack[NewInvoice]) -> InvoiceRow:
    """`create_invoice` as one INSERT, for callers that only answer with the new invoice."""
    return rows.insert_invoice(rows.connection(tx), _new_invoice(tenant, now, fields))


def get_invoice(session: Session, tenant_id: int, invoice_id: int, *, now: datetime) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.tenant_id != tenant_id:
        raise NotFound("invoice", invoice_id)
    _apply_timers(session, invoice, now)
    return invoice


def read_invoice(tx: Tx, tenant_id: int, invoice_id: int) -> InvoiceRow:
    """The invoice as stored, as a plain row: its status may be behind a due timer (see
    `timer_due`). Commands taking an InvoiceRow apply due timers themselves."""
    return rows.read_invoice(rows.connection(tx), tenant_id, invoice_id)


def timer_due(invoice: AnyInvoice, now: datetime) -> bool:
    """Whether the clock has moved this invoice on (e.g. expired it) since it was stored;
    `get_invoice` in a write transaction then applies the change."""
    expiry = LIFECYCLES[invoice.provider].expiry
    return (expiry is not None and invoice.expires_at is not None
            and invoice.expires_at <= now and invoice.status in expiry[0])


def has_timers(provider: str) -> bool:
    """Whether the clock alone can change this provider's invoices (so reads may write)."""
    return LIFECYCLES[provider].expiry is not None


def find_invoice(session: Session, tenant_id: int, ref: str, *, now: datetime) -> Invoice | None:
    """The tenant's invoice with this client-given reference, if any."""
    invoice = session.exec(
        select(Invoice).where(col(Invoice.tenant_id) == tenant_id, col(Invoice.ref) == ref)
    ).first()
    if invoice is not None:
        _apply_timers(session, invoice, now)
    return invoice


def list_invoices(
    session: Session,
    tenant_id: int,
    now: datetime,
    filters: list[Filter] | None = None,
    sort: list[Sort] | None = None,
    page: Page | None = None,
) -> tuple[list[Invoice], int]:
    expire_due(session, now, tenant_id=tenant_id)
    rows = fetch(session, Invoice, invoice_scope(tenant_id), filters or [], sort or [],
                 page or Page())
    return rows, count_invoices(session, tenant_id, filters or [])


def list_invoice_rows(
    session: Session,
    tenant_id: int,
    now: datetime,
    filters: list[Filter] | None = None,
    sort: list[Sort] | None = None,
    page: Page | None = None,
) -> tuple[list[InvoiceRow], int]:
    """`list_invoices` as plain rows, for lists that only show them."""
    rows = page_of_invoices(session, tenant_id, now, filters, sort, page)
    return rows, count_invoices(session, tenant_id, filters or [])


def page_of_invoices(
    session: Session,
    tenant_id: int,
    now: datetime,
    filters: list[Filter] | None = None,
    sort: list[Sort] | None = None,
    page: Page | None = None,
) -> list[InvoiceRow]:
    """`list_invoice_rows` without the total, for lists that do not show one."""
    expire_due(session, now, tenant_id=tenant_id)
    return fetch_rows(session, invoice_scope(tenant_id), filters or [], sort or [],
                      page or Page())


def edit_invoice(
    session: Session, invoice: Invoice, action: str, now: datetime, *,
    allow_overpay: bool = False, **changes: Any
) -> Invoice:
    """Change descriptive fields and/or the total, if the lifecycle allows `action` now.

    `allow_overpay` is for providers that accept overpayment: the total may then end up
    below the amount already paid (a negative balance), as a payment could have made it.
    """
    lc = lifecycle_of(invoice)
    engine.apply(lc, invoice, action, now)
    for name, value in changes.items():
        if not hasattr(Invoice, name) or name in ("id", "tenant_id", "provider", "status",
                                                  "paid_minor"):
            raise AttributeError(f"{name} cannot be edited")
        setattr(invoice, name, value)
    if invoice.total_minor < 0:
        raise RuleViolation("negative_total", "the invoice total cannot be negative")
    if invoice.total_minor < invoice.paid_minor and not allow_overpay:
        raise RuleViolation("total_below_paid",
                            "the invoice total cannot be less than the amount already paid")
    if "total_minor" in changes and invoice.paid_minor > 0:
        engine.settle(lc, invoice, now)
    invoice.updated_at = now
    session.add(invoice)
    return invoice


def transition(session: Session, invoice: Invoice, action: str, now: datetime) -> str:
    status = engine.apply(lifecycle_of(invoice), invoice, action, now)
    session.add(invoice)
    return status


def delete_invoice(session: Session, invoice: Invoice, now: datetime) -> None:
    engine.apply(lifecycle_of(invoice), invoice, "delete", now)
    for model in (Payment, InvoiceEvent, InvoiceItem):
        for row in session.exec(select(model).where(col(model.invoice_id) == invoice.id)):
            session.delete(row)
    session.delete(invoice)


def ensure_checkout_token(invoice: Invoice) -> str:
    if invoice.checkout_token is None:
        invoice.checkout_token = secrets.token_hex(16)
    return invoice.checkout_token


def find_by_checkout_token(session: Session, token: str, now: datetime) -> Invoice:
    invoice = session.exec(select(Invoice).where(col(Invoice.checkout_token) == token)).first()
    if invoice is None:
        raise NotFound("checkout", token)
    _apply_timers(session, invoice, now)
    return invoice


# --- time-driven transitions -----------------------------------------------------------------

def _apply_timers(session: Session, invoice: Invoice, now: datetime) -> None:
    if engine.expire_if_due(lifecycle_of(invoice), invoice, now):
        session.add(invoice)


# The states an expiry timer can move an invoice out of, in any lifecycle: only invoices in one
# of them are looked at, through an index on (status, expires_at), so invoices that expired,
# were paid or never had a timer are never read again.
_TIMED_STATES = sorted({s for lc in LIFECYCLES.values() if lc.expiry for s in lc.expiry[0]})
# Built once (see `rows`): every list runs this, and almost always finds nothing.
_DUE = select(Invoice.id).where(col(Invoice.status).in_(_TIMED_STATES),
                                col(Invoice.expires_at).is_not(None),
                                col(Invoice.expires_at) <= bindparam("now"))
_DUE_OF_TENANT = _DUE.where(col(Invoice.tenant_id) == bindparam("tenant_id"))


def expire_due(session: Session, now: datetime, tenant_id: int | None = None) -> int:
    """Expire every invoice whose validity ended before `now`; returns how many moved."""
    if not _TIMED_STATES:
        return 0
    if tenant_id is None:
        due = sql(session).execute(_DUE, {"now": now}).scalars().all()
    else:
        due = sql(session).execute(_DUE_OF_TENANT, {"now": now, "tenant_id": tenant_id}
                                   ).scalars().all()
    if not due:
        return 0
    moved = 0
    for invoice in session.exec(select(Invoice).where(col(Invoice.id).in_(due))).all():
        if engine.expire_if_due(lifecycle_of(invoice), invoice, now):
            session.add(invoice)
            moved += 1
    return moved


# --- payments --------------------------------------------------------------------------------

def _recompute_paid(session: Session, invoice: Invoice) -> None:
    session.flush()
    paid = session.exec(
        select(func.coalesce(func.sum(Payment.amount_minor), 0)).where(
            col(Payment.invoice_id) == invoice.id
        )
    ).one()
    invoice.paid_minor = int(paid)


def _check_amount(invoice: AnyInvoice, amount_minor: int, already: int,
                  allow_overpay: bool) -> None:
    if amount_minor <= 0:
        raise RuleViolation("amount_not_positive", "the payment amount must be greater than 0")
    if not allow_overpay and amount_minor > invoice.balance_minor + already:
        raise RuleViolation("amount_exceeds_balance",
                            "the payment amount exceeds the invoice balance")


def _new_payment(invoice: AnyInvoice, now: datetime, amount_minor: int, method: str,
                 paid_at: datetime, attrs: dict[str, Any] | None, locked: bool,
                 allow_overpay: bool) -> dict[str, Any]:
    """Check that `invoice` takes this payment; every column of the payment but its id."""
    if not lifecycle_of(invoice).allows("record_payment", invoice.status):
        raise TransitionRefused("record_payment", invoice.status,
                                f"payments cannot be added to a {invoice.status} invoice")
    _check_amount(invoice, amount_minor, 0, allow_overpay)
    assert invoice.id is not None
    return {"tenant_id": invoice.tenant_id, "invoice_id": invoice.id, "method": method,
            "amount_minor": amount_minor, "locked": locked, "paid_at": paid_at,
            "attrs": dict(attrs or {}), "created_at": now, "updated_at": now}


def _add_paid(invoice: AnyInvoice, amount_minor: int, paid_at: datetime, now: datetime) -> None:
    # Incremental, not a SUM: the write transaction holds the lock, so nothing else can add a
    # payment in between, and paid_minor was the sum of the payments before this one.
    invoice.paid_minor += amount_minor
    engine.apply(lifecycle_of(invoice), _engine_view(invoice), "record_payment", now)
    stamp = iso_utc(paid_at)
    latest = invoice.stamps.get("last_payment_at")
    # Both sides come from iso_utc (same format and width), so they compare as the instants.
    if latest is None or stamp > latest:
        invoice.stamps = {**invoice.stamps, "last_payment_at": stamp}


@overload
def record_payment(session: Session, invoice: Invoice, now: datetime, *, amount_minor: int,
                   method: str, paid_at: datetime, attrs: dict[str, Any] | None = None,
                   locked: bool = False, allow_overpay: bool = False) -> Payment: ...


@overload
def record_payment(session: Tx, invoice: InvoiceRow, now: datetime, *, amount_minor: int,
                   method: str, paid_at: datetime, attrs: dict[str, Any] | None = None,
                   locked: bool = False, allow_overpay: bool = False) -> PaymentRow: ...


def record_payment(
    session: Tx,
    invoice: AnyInvoice,
    now: datetime,
    *,
    amount_minor: int,
    method: str,
    paid_at: datetime,
    attrs: dict[str, Any] | None = None,
    locked: bool = False,
    allow_overpay: bool = False,
) -> Payment | PaymentRow:
    """Add a payment to the invoice and settle it.

    On an ORM instance, through the session; on an InvoiceRow from `read_invoice` (in this
    write transaction, which may then be a `write_sql()` one), as one INSERT and one UPDATE,
    and the payment comes back as a row too.
    """
    if isinstance(invoice, InvoiceRow):
        engine.expire_if_due(lifecycle_of(invoice), _engine_view(invoice), now)  # as at load
    values = _new_payment(invoice, now, amount_minor, method, paid_at, attrs, locked,
                          allow_overpay)
    _add_paid(invoice, amount_minor, paid_at, now)
    if isinstance(invoice, InvoiceRow):
        conn = rows.connection(session, invoice.id)
        row = rows.insert_payment(conn, values)
        rows.write_invoice(conn, invoice)
        return row
    assert isinstance(session, Session)
    payment = Payment(**values)
    session.add(payment)
    session.add(invoice)
    session.flush()  # one flush: the payment's INSERT (for its id) and the invoice's UPDATE
    return payment


def get_payment(session: Session, invoice: Invoice, payment_id: int) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None or payment.invoice_id != invoice.id:
        raise NotFound("payment", payment_id)
    return payment


def change_payment(
    session: Session,
    invoice: Invoice,
    payment: Payment,
    now: datetime,
    *,
    amount_minor: int,
    method: str,
    paid_at: datetime,
    attrs: dict[str, Any],
    allow_overpay: bool = False,
) -> Payment:
    lc = _check_payment_change(invoice, payment, "change_payment", "updated")
    _check_amount(invoice, amount_minor, payment.amount_minor, allow_overpay)
    payment.amount_minor = amount_minor
    payment.method = method
    payment.paid_at = paid_at
    payment.attrs = dict(attrs)
    payment.updated_at = now
    session.add(payment)
    _recompute_paid(session, invoice)
    engine.apply(lc, invoice, "change_payment", now)
    _stamp_payment_date(session, invoice)
    session.add(invoice)
    return payment


def _check_payment_change(invoice: Invoice, payment: Payment, action: str,
                          verb: str) -> engine.Lifecycle:
    """The lifecycle must allow `action` now, and checkout (card) payments never change."""
    lc = lifecycle_of(invoice)
    if not lc.allows(action, invoice.status):
        raise TransitionRefused(action, invoice.status,
                                f"payments of a {invoice.status} invoice cannot be {verb}")
    if payment.locked:
        raise RuleViolation("payment_locked", f"card payments cannot be {verb}")
    return lc


def remove_payment(session: Session, invoice: Invoice, payment: Payment, now: datetime) -> None:
    lc = _check_payment_change(invoice, payment, "remove_payment", "removed")
    session.delete(payment)
    _recompute_paid(session, invoice)
    engine.apply(lc, invoice, "remove_payment", now)
    _stamp_payment_date(session, invoice)
    session.add(invoice)


def refund(session: Session, invoice: Invoice, amount_minor: int, action: str,
           now: datetime) -> None:
    """Give money back on a settled invoice through the lifecycle's refund `action`."""
    refundable = invoice.paid_minor - invoice.refunded_minor
    if amount_minor <= 0 or amount_minor > refundable:
        raise RuleViolation("refund_amount",
                            "the refund amount must be > 0 and not above the paid amount")
    engine.apply(lifecycle_of(invoice), invoice, action, now)
    invoice.refunded_minor += amount_minor
    session.add(invoice)


def _stamp_payment_date(session: Session, invoice: Invoice) -> None:
    latest = session.exec(
        select(func.max(Payment.paid_at)).where(col(Payment.invoice_id) == invoice.id)
    ).one()
    stamps = dict(invoice.stamps)
    if latest is None:
        stamps.pop("last_payment_at", None)
    else:
        value = latest if isinstance(latest, datetime) else datetime.fromisoformat(str(latest))
        stamps["last_payment_at"] = iso_utc(value)
    invoice.stamps = stamps


def payments_of(session: Session, invoice: Invoice) -> list[Payment]:
    return list(session.exec(
        select(Payment).where(col(Payment.invoice_id) == invoice.id).order_by(col(Payment.id))
    ).all())


def list_payments(
    session: Session,
    tenant_id: int,
    invoice_id: int | None = None,
    filters: list[Filter] | None = None,
    sort: list[Sort] | None = None,
    page: Page | None = None,
) -> tuple[list[Payment], int]:
    return run(session, Payment, payment_scope(tenant_id, invoice_id), filters or [],
               sort or [], page or Page())


def invoices_by_id(session: Session, ids: set[int]) -> dict[int, Invoice]:
    if not ids:
        return {}
    rows = session.exec(select(Invoice).where(col(Invoice.id).in_(ids))).all()
    return {row.id: row for row in rows if row.id is not None}


# --- events ----------------------------------------------------------------------------------

def add_event(session: Session, invoice: Invoice, kind: str, now: datetime,
              attrs: dict[str, Any] | None = None) -> InvoiceEvent:
    assert invoice.id is not None
    event = InvoiceEvent(tenant_id=invoice.tenant_id, invoice_id=invoice.id, kind=kind,
                         attrs=dict(attrs or {}), created_at=now)
    session.add(event)
    session.flush()
    return event


def list_events(
    session: Session,
    tenant_id: int,
    kind: str,
    invoice_id: int | None = None,
    sort: list[Sort] | None = None,
    page: Page | None = None,
) -> tuple[list[InvoiceEvent], int]:
    scope = [col(InvoiceEvent.tenant_id) == tenant_id, col(InvoiceEvent.kind) == kind]
    if invoice_id is not None:
        scope.append(col(InvoiceEvent.invoice_id) == invoice_id)
    return run(session, InvoiceEvent, scope, [], sort or [], page or Page())


def get_event(session: Session, invoice: Invoice, kind: str, event_id: int) -> InvoiceEvent:
    event = session.get(InvoiceEvent, event_id)
    if event is None or event.invoice_id != invoice.id or event.kind != kind:
        raise NotFound(kind, event_id)
    return event


def delete_event(session: Session, event: InvoiceEvent) -> None:
    session.delete(event)
