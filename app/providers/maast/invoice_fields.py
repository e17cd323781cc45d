"""Create/draft-update fields -> the core invoice's columns and the attrs Maast echoes back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from ...core import customers, invoices, money
from ...core.db import Tx
from ...core.rows import InvoiceRow
from ...core.tables import Invoice, Tenant
from . import compute, wire
from .errors import invalid
from .wire import InvoiceFields

DEFAULT_CURRENCY = "840"


@dataclass
class Draft:
    """An invoice's Maast-specific state, ready for `invoices.create_invoice`/`edit_invoice`."""

    attrs: dict[str, Any]
    columns: dict[str, Any] = field(default_factory=dict)


def check(fields: InvoiceFields, errors: dict[str, str]) -> None:
    if fields.payment_terms is not None:
        reason = compute.check_terms(fields.payment_terms.model_dump())
        if reason:
            errors["payment_terms.value"] = reason
    if fields.date_invoice is not None:
        try:
            compute.parse_date(fields.date_invoice)
        except compute.DateError as exc:
            errors["date_invoice"] = str(exc)
    if fields.sales_tax is not None and fields.sales_tax.type == "AMOUNT" and \
            -fields.sales_tax.value.normalize().as_tuple().exponent > 2:  # type: ignore[operator]
        errors["sales_tax.value"] = "must have at most 2 decimal places"


def build(fields: InvoiceFields, current: dict[str, Any], currency: str, today: date) -> Draft:
    """Merge the fields the client sent over `current` attrs and recompute derived values."""
    attrs = dict(current)
    sent = fields.model_dump(exclude_unset=True, exclude_none=True)
    for name in ("profile_id", "footer_note", "payment_terms_note"):
        if name in sent:
            attrs[name] = sent[name]
    for name in ("from_contact", "billing_contact", "checkout_settings", "payment_terms"):
        if name in sent:
            attrs[name] = sent[name]
    if fields.sales_tax is not None:
        attrs["sales_tax"] = {"type": fields.sales_tax.type, "value": str(fields.sales_tax.value)}
    if fields.line_items is not None:
        attrs["line_items"] = [
            {"quantity": str(item.quantity),
             **({"description": item.description} if item.description is not None else {}),
             "unit_cost": str(item.unit_cost)}
            for item in fields.line_items
        ]
    if fields.date_invoice is not None:
        issued, style = compute.parse_date(fields.date_invoice)
        attrs["date_invoice"], attrs["date_style"] = fields.date_invoice, style
    elif "date_style" not in attrs:
        issued, attrs["date_style"] = today, compute.DATE_ONLY
    else:
        issued = compute.parse_date(attrs["date_invoice"])[0] if "date_invoice" in attrs else today
    try:
        totals = compute.totals(attrs.get("line_items", []), attrs.get("sales_tax"), currency)
    except money.MoneyError as exc:  # an AMOUNT tax finer than the currency's minor unit
        raise invalid({"sales_tax.value": str(exc)}) from None
    if totals.total >= wire.MAX_AMOUNT.scaleb(money.exponent(currency)):
        raise invalid({"amt_tran": "the invoice total is too large"})
    try:
        due = compute.due_date(issued, attrs.get("payment_terms"))
    except OverflowError:  # e.g. 9999-12-31 plus some days
        raise invalid({"payment_terms.value": "the due date is out of range"}) from None
    attrs["sub_total_minor"], attrs["tax_minor"] = totals.sub_total, totals.tax
    columns: dict[str, Any] = {
        "total_minor": totals.total,
        "issue_date": issued,
        "due_date": due,
        "allow_partial": bool((attrs.get("checkout_settings") or {}).get("allow_partial_payments")),
    }
    if fields.invoice_number is not None:
        columns["number"] = fields.invoice_number
    if fields.customer_id is not None:
        columns["customer_ref"] = fields.customer_id
    return Draft(attrs=attrs, columns=columns)


def validate_create(document: dict[str, Any]) -> InvoiceFields:
    """A CreateInvoiceRequest, with every field rule checked; raises code 2 listing failures."""
    fields = wire.validate(InvoiceFields, document)
    errors: dict[str, str] = {}
    wire.require(errors, fields.customer_id is not None, "customer_id")
    wire.require(errors, fields.invoice_number is not None, "invoice_number")
    wire.check_contacts(fields, errors, need_billing=bool(fields.save_customer))
    check(fields, errors)
    wire.raise_if(errors)
    return fields


def check_customer(tx: Tx, tenant: Tenant, fields: InvoiceFields, now: datetime) -> None:
    """The customer must be in the vault, unless `save_customer` puts it there now."""
    assert tenant.id is not None and fields.customer_id is not None
    if fields.save_customer:
        contact = fields.billing_contact.model_dump(exclude_none=True) \
            if fields.billing_contact else {}
        customers.save(tx, tenant.id, fields.customer_id, {"billing_contact": contact}, now)
    elif not customers.known(tx, tenant.id, fields.customer_id):
        raise invalid({"customer_id": "customer not found in the customer vault; "
                                      "set save_customer to true to add it"})


def _new(tx: Tx, tenant: Tenant, fields: InvoiceFields, now: datetime) -> tuple[str, Draft]:
    currency = fields.tran_currency or DEFAULT_CURRENCY
    draft = build(fields, {}, currency, now.date())
    check_customer(tx, tenant, fields, now)
    return currency, draft


def create(session: Session, tenant: Tenant, fields: InvoiceFields, now: datetime) -> Invoice:
    """A new invoice as an ORM instance, for callers that go on changing it (fixtures)."""
    currency, draft = _new(session, tenant, fields, now)
    return invoices.create_invoice(session, tenant, now, currency=currency, attrs=draft.attrs,
                                   **draft.columns)


def insert(tx: Tx, tenant: Tenant, fields: InvoiceFields, now: datetime) -> InvoiceRow:
    """`create` for a caller that only answers with the new invoice: SQL statements only."""
    currency, draft = _new(tx, tenant, fields, now)
    return invoices.insert_invoice(tx, tenant, now, currency=currency, attrs=draft.attrs,
                                   **draft.columns)
