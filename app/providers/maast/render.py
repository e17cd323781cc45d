"""Core rows -> Maast JSON objects, in the field order of the published examples."""

from __future__ import annotations

import functools
from datetime import datetime
from decimal import Decimal
from typing import Any

from ...core import money
from ...core.rows import InvoiceRow, PaymentRow
from ...core.tables import Invoice, Payment, Tenant
from .compute import DATE_ONLY, render_date, timestamp


def amount(minor: int, currency: str) -> float | int:
    """A JSON number: exact for cents, rendered without binary noise (15.25, not 15.2500001).

    Integer division by a power of ten rounds correctly, so `minor / unit` is the float
    nearest the exact amount, the same one the decimal value would convert to.
    """
    return _in_units(minor, 10 ** money.exponent(currency))


def _in_units(minor: int, unit: int) -> float | int:
    whole, rest = divmod(minor, unit)
    return whole if rest == 0 else minor / unit


def number(text: str) -> float | int:
    # Plain digits, with or without one decimal point, skip the Decimal: float() rounds the
    # text correctly, as float(Decimal(text)) does. Lists render several per invoice.
    if text.isascii():
        if text.isdigit():
            return int(text)
        whole, point, fraction = text.partition(".")
        if point and whole.isdigit() and fraction.isdigit():
            return float(text)
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() and "." not in text else float(value)


@functools.lru_cache(maxsize=4096)
def _stamp_day(raw: str, style: str) -> str | None:
    # A pure function of its arguments: a list shows the same few instants over and over.
    return render_date(datetime.fromisoformat(raw.replace("Z", "+00:00")).date(), style)


def _stamp_date(invoice: Invoice | InvoiceRow, name: str, style: str) -> str | None:
    raw = invoice.stamps.get(name)
    return None if raw is None else _stamp_day(raw, style)


def _line(item: dict[str, Any]) -> dict[str, Any]:
    out = dict(item)  # the same keys in the same order, the two numbers as JSON numbers
    if "quantity" in out:
        out["quantity"] = number(out["quantity"])
    if "unit_cost" in out:
        out["unit_cost"] = number(out["unit_cost"])
    return out


def invoice(row: Invoice | InvoiceRow, tenant: Tenant, link: str | None) -> dict[str, Any]:
    a = row.attrs
    style = a.get("date_style", DATE_ONLY)
    cur = row.currency
    unit: int = 10 ** money.exponent(cur)
    stamps = row.stamps
    out: dict[str, Any] = {
        "invoice_id": row.id,
        "merchant_id": tenant.public_id,
        "customer_id": row.customer_ref,
        "from_contact": a.get("from_contact"),
        "billing_contact": a.get("billing_contact"),
        "invoice_number": row.number,
        "status": row.status,
        "amt_tran": _in_units(row.total_minor, unit),
        "amt_tax": _in_units(a.get("tax_minor", 0), unit),
        "amt_sub_total": _in_units(a.get("sub_total_minor", 0), unit),
        "amt_paid": _in_units(row.paid_minor, unit),
        "amt_balance": _in_units(row.total_minor - row.paid_minor, unit),
        "profile_id": a.get("profile_id"),
        "tran_currency": cur,
        "footer_note": a.get("footer_note"),
        "payment_terms_note": a.get("payment_terms_note"),
        "checkout_settings": a.get("checkout_settings"),
        "invoice_link": link,
        "sales_tax": _sales_tax(a.get("sales_tax")),
        "payment_terms": a.get("payment_terms"),
        "date_invoice": a.get("date_invoice") or render_date(row.issue_date, style),
        "line_items": [_line(item) for item in a.get("line_items", ())],
        "date_due": render_date(row.due_date, style),
        "date_payment": _stamp_date(row, "last_payment_at", style) if stamps else None,
        "date_last_view": _stamp_date(row, "last_viewed_at", style) if stamps else None,
        "date_sent": _stamp_date(row, "sent_at", style) if stamps else None,
        "db_timestamp": timestamp(row.updated_at),
    }
    return {k: v for k, v in out.items() if v is not None}


def _sales_tax(tax: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if tax is None else {"type": tax["type"], "value": number(tax["value"])}


def payment(row: Payment | PaymentRow, invoice_row: Invoice | InvoiceRow,
            tenant: Tenant) -> dict[str, Any]:
    a = row.attrs
    out: dict[str, Any] = {
        "payment_id": row.id,
        "merchant_id": tenant.public_id,
        "type": row.method,
        "amt_paid": amount(row.amount_minor, invoice_row.currency),
        "description": a.get("description"),
        "pg_id": a.get("pg_id"),
        "invoice_id": row.invoice_id,
        "date_payment": a.get("date_payment") or row.paid_at.date().isoformat(),
        "status": invoice_row.status,
        "tran_currency": invoice_row.currency,
        "tran_status": a.get("tran_status", ""),
    }
    return {k: v for k, v in out.items() if v is not None}


# `send_code` of a bounce: O for the original send, A for a resend ("again"); B (a bulk send)
# has no API call that makes it.
SEND_CODES = {"send": "O", "resend": "A"}


def bounced(event_attrs: dict[str, Any], invoice_row: Invoice, tenant: Tenant,
            created: datetime) -> dict[str, Any]:
    """Qualpay's BouncedInvoice: the invoice, its status when the email bounced, how it was
    sent, and the recipients that bounced."""
    recipients = event_attrs.get("recipient")
    if recipients is None:  # recorded before bounces listed their recipients
        recipients = [event_attrs["email_address"]] if event_attrs.get("email_address") else []
    return {
        "invoice_id": invoice_row.id,
        "merchant_id": tenant.public_id,
        "invoice_number": invoice_row.number,
        "customer_id": invoice_row.customer_ref,
        "status": event_attrs.get("status", invoice_row.status),
        "send_code": event_attrs.get("send_code", SEND_CODES["send"]),
        "db_timestamp": timestamp(created),
        "recipient": list(recipients),
    }
