"""TransportOne requests as core commands, shared by the API routes, the sandbox control plane,
the fixtures and the background bulk-payment job. Each runs inside the caller's transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from ...core import approvals, invoices, items
from ...core.query import Filter
from ...core.tables import Invoice, InvoiceItem, Payment, Tenant
from . import settings
from .errors import invalid, invoice_not_found
from .wire import CURRENCY, Charge, InvoiceSpec, PaymentIn, millis

EDIT_CHARGES = "edit_charges"
DEFAULT_TERMS_DAYS = 30


def tenant_id(tenant: Tenant) -> int:
    assert tenant.id is not None
    return tenant.id


def load(session: Session, tenant: Tenant, unique_code: str, now: datetime) -> Invoice:
    row = invoices.find_invoice(session, tenant_id(tenant), unique_code, now=now)
    if row is None:
        raise invoice_not_found(unique_code)
    return row


def by_number(session: Session, tenant: Tenant, number: str, now: datetime) -> Invoice:
    rows, _ = invoices.list_invoices(session, tenant_id(tenant), now,
                                     [Filter("number", "EQ", number)])
    if not rows:
        raise invoice_not_found(number)
    return rows[0]


def new_code(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6).upper()}"


# --- charges ---------------------------------------------------------------------------------

def create_charge(session: Session, tenant: Tenant, spec: Charge, now: datetime,
                  owner: Invoice | None = None) -> InvoiceItem:
    if owner is None and spec.invoice_id is not None:
        owner = load(session, tenant, spec.invoice_id, now)
    assert spec.amount_minor is not None
    return items.add_item(
        session, tenant_id(tenant), now, ref=spec.unique_code or new_code("CHG"),
        amount_minor=spec.amount_minor, status=spec.status or items.BILLABLE,
        attrs=spec.attrs, invoice=owner, action=EDIT_CHARGES if owner is not None else None,
    )


def update_charge(session: Session, tenant: Tenant, spec: Charge, now: datetime,
                  by: str | None = None) -> InvoiceItem:
    """`by` (from `x-coreos-userinfo`) is shown as `amountUpdatedBy` once the amount changes."""
    assert spec.unique_code is not None
    item = items.get_item(session, tenant_id(tenant), spec.unique_code)
    target = load(session, tenant, spec.invoice_id, now) if spec.invoice_id else None
    status = spec.status
    if status is None and item.status == items.REJECTED and (
            spec.amount_minor is not None or spec.attrs):
        status = items.BILLABLE  # a revised charge goes back up for approval
    changes = dict(spec.attrs)
    if spec.amount_minor is not None and spec.amount_minor != item.amount_minor:
        changes["amount_updated_by"] = by
    if status is not None and status != items.REJECTED:
        changes["rejection_reason"] = None
    return items.update_item(session, item, now, amount_minor=spec.amount_minor, status=status,
                             attrs=changes, attach_to=target, action=EDIT_CHARGES)


def owner_of(session: Session, tenant: Tenant, item: InvoiceItem, now: datetime) -> Invoice | None:
    if item.invoice_id is None:
        return None
    return invoices.get_invoice(session, tenant_id(tenant), item.invoice_id, now=now)


# --- approval ------------------------------------------------------------------------------------

def submit(session: Session, tenant: Tenant, row: Invoice, now: datetime,
           by: str | None = None) -> None:
    policy = settings.auto_approval_policy(session, tenant)
    if approvals.submit(session, row, now, policy=policy, by=by):
        settings.notify_approved(session, tenant, row, now)


def approve(session: Session, tenant: Tenant, row: Invoice, now: datetime,
            by: str | None = None) -> None:
    approvals.approve(session, row, now, by=by)
    settings.notify_approved(session, tenant, row, now)


# --- payments ------------------------------------------------------------------------------------

def apply_payment(session: Session, tenant: Tenant, spec: PaymentIn, now: datetime,
                  by: str | None = None, row: Invoice | None = None) -> tuple[Payment, Invoice]:
    """Apply an ERP payment to its invoice, which becomes PARTIALLY_PAID or PAID."""
    if row is None:
        row = (load(session, tenant, spec.invoice_id, now) if spec.invoice_id
               else by_number(session, tenant, spec.invoice_number or "", now))
    if spec.invoice_id and spec.invoice_number and row.number != spec.invoice_number:
        raise invalid({"invoiceNumber": f"does not match invoice {row.ref}"})
    attrs = {"payment_id": new_code("PAY"), "total_minor": spec.total_minor,
             **({"applied_by": by} if by else {}), **spec.attrs}
    payment = invoices.record_payment(session, row, now, amount_minor=spec.applied_minor,
                                      method=spec.payment_type, paid_at=spec.paid_at or now,
                                      attrs=attrs)
    return payment, row


# --- invoices made by the sandbox (control plane and fixtures) -----------------------------------

@dataclass(frozen=True)
class Path:
    """How a new invoice reaches the state it is asked to start in."""

    submit: bool = False
    approve: bool = False
    reject: bool = False
    cancel: bool = False


_PATHS = {
    "DRAFT": Path(),
    "SUBMITTED": Path(submit=True),
    "REJECTED": Path(submit=True, reject=True),
    "APPROVED": Path(submit=True, approve=True),
    "PARTIALLY_PAID": Path(submit=True, approve=True),
    "PAID": Path(submit=True, approve=True),
    "CANCELLED": Path(cancel=True),
}


def create_invoice(session: Session, tenant: Tenant, spec: InvoiceSpec, now: datetime) -> Invoice:
    """A freight invoice with its charges, driven through the lifecycle to `spec.state`."""
    if invoices.find_invoice(session, tenant_id(tenant), spec.unique_code, now=now) is not None:
        raise invalid({"uniqueCode": f"{spec.unique_code} already exists"})
    issued = spec.invoice_date or now
    due = spec.due_date or issued + timedelta(days=DEFAULT_TERMS_DAYS)
    row = invoices.create_invoice(
        session, tenant, now, currency=CURRENCY, total_minor=0, number=spec.invoice_number,
        ref=spec.unique_code, issue_date=issued.astimezone(UTC).date(),
        due_date=due.astimezone(UTC).date(),
        attrs={"transporter_id": spec.transporter_id, "transporter_name": spec.transporter_name,
               "invoice_date_ms": millis(issued), "due_date_ms": millis(due)},
    )
    for charge in spec.charges:
        create_charge(session, tenant, charge, now, owner=row)
    path = _PATHS[spec.state]
    if path.submit:
        approvals.submit(session, row, now)
    if path.reject:
        approvals.reject(session, row, now, reasons=spec.rejection_reasons,
                         remark=spec.rejection_remark)
    if path.approve:
        approvals.approve(session, row, now)
    if path.cancel:
        approvals.cancel(session, row, now, reason=spec.cancellation_reason)
    for payment in spec.payments:
        apply_payment(session, tenant, payment, now, row=row)
    if spec.state == "PAID" and row.balance_minor > 0:
        settle = PaymentIn(row.ref, row.number, row.balance_minor, row.balance_minor,
                           "BANK_TRANSFER", now, {})
        apply_payment(session, tenant, settle, now, row=row)
    if row.status != spec.state:
        raise invalid({"state": f"{spec.state} cannot be reached with these charges and "
                                f"payments (the invoice ends {row.status})"})
    return row
