"""Harvest's commands over the core, each inside the caller's write transaction.

Shared by the routes and the fixture loader, so seeded invoices are computed, numbered and
moved through the lifecycle exactly as API-made ones are.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from ...core import invoices, numbers
from ...core.query import Filter
from ...core.tables import Invoice, InvoiceEvent, Payment, Tenant
from . import lines, wire
from .errors import Invalid

MESSAGE = "harvest_message"  # InvoiceEvent kind of invoice messages
STATE_ACTIONS = ("mark_as_sent", "mark_as_closed", "re_open", "mark_as_draft")
DEFAULT_CURRENCY = ("USD", wire.CURRENCY_LABELS["USD"])


@dataclass(frozen=True)
class Actor:
    """The account and the user acting in it (recorded on invoices, payments, messages)."""

    tenant: Tenant
    user: dict[str, Any]

    @property
    def tenant_id(self) -> int:
        assert self.tenant.id is not None
        return self.tenant.id

    @property
    def name(self) -> str:
        return f"{self.user.get('first_name', '')} {self.user.get('last_name', '')}".strip()

    @property
    def email(self) -> str:
        return str(self.user.get("email", ""))


def _decimal(text: Any) -> Decimal | None:
    return None if text is None else Decimal(str(text))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- invoices --------------------------------------------------------------------------------

def _next_number(session: Session, actor: Actor, now: datetime) -> str:
    rows, _ = invoices.list_invoices(session, actor.tenant_id, now)
    # ASCII digits only: an invoice numbered "²" is not number 2 (and int() refuses it).
    taken = [int(r.number) for r in rows if r.number and numbers.is_digits(r.number) and
             len(r.number) < 18]
    return str(max(taken, default=0) + 1)


def _check_number(session: Session, actor: Actor, number: str, now: datetime,
                  own_id: int | None) -> None:
    rows, _ = invoices.list_invoices(session, actor.tenant_id, now,
                                     [Filter("number", "EQ", number)])
    if any(row.id != own_id for row in rows):
        raise Invalid("Number has already been taken")


def _due(terms: wire.Terms, issued: date, given: date | None) -> date:
    try:
        return terms.due(issued, given)
    except (OverflowError, ValueError):
        raise Invalid("Due at is out of range") from None


def _compose(data: wire.InvoiceInput, attrs: dict[str, Any], issued: date,
             due_given: date | None, currency: tuple[str, str]) -> dict[str, Any]:
    """New attrs: stored fields overlaid with the sent ones, amounts recomputed from lines."""
    out = dict(attrs)
    for name in ("subject", "notes", "purchase_order", "kind", "client_id"):
        if data.has(name):
            out[name] = data.get(name)
    for name in ("period_start", "period_end"):
        if data.has(name):
            value = data.get(name)
            out[name] = value.isoformat() if value is not None else None
    for name in ("tax", "tax2", "discount"):
        if data.has(name):
            out[name] = _text(data.get(name))
    code, label = currency
    out["currency_label"] = label
    if data.has("csv_line_items"):
        out["line_items"] = lines.parse(data.get("csv_line_items") or "", code)
    elif data.has("currency") and out.get("line_items"):
        # Another currency may have other minor units: recompute the line amounts.
        out["line_items"] = lines.parse(lines.render(out["line_items"], code), code)
    totals = lines.totals(out.get("line_items", []), _decimal(out.get("tax")),
                          _decimal(out.get("tax2")), _decimal(out.get("discount")))
    out.update(subtotal_minor=totals.subtotal, discount_minor=totals.discount_amount,
               tax_minor=totals.tax_amount, tax2_minor=totals.tax2_amount)
    if data.has("due_at_human_format"):
        out["terms"] = _terms_dict(data.get("due_at_human_format"))
    elif data.has("due_at"):
        out["terms"] = {"kind": "custom", "days": 0}
    out.setdefault("terms", {"kind": "receipt", "days": 0})
    out["due_at_given"] = due_given.isoformat() if due_given else None
    out["_total"] = totals.amount
    out["_due"] = _due(_terms(out["terms"]), issued, due_given).isoformat()
    return out


def _terms_dict(terms: wire.Terms) -> dict[str, Any]:
    return {"kind": terms.kind, "days": terms.days}


def _terms(stored: dict[str, Any]) -> wire.Terms:
    return wire.Terms(str(stored.get("kind", "receipt")), int(stored.get("days", 0)))


def terms_of(row: invoices.AnyInvoice) -> wire.Terms:
    return _terms(row.attrs.get("terms") or {})


def create_invoice(session: Session, actor: Actor, data: wire.InvoiceInput,
                   now: datetime) -> Invoice:
    currency = data.get("currency") or _account_currency(actor.tenant)
    issued = data.get("issued_at") or now.date()
    number = (data.get("number") or "").strip() or None
    if number is None:
        number = _next_number(session, actor, now)
    else:
        _check_number(session, actor, number, now, None)
    attrs = _compose(data, {"kind": "free_form", "client_key": secrets.token_hex(20),
                            "created_by_id": actor.user.get("id")},
                     issued, data.get("due_at"), currency)
    total, due = attrs.pop("_total"), date.fromisoformat(attrs.pop("_due"))
    if total < 0:
        raise Invalid("Amount can't be negative")
    return invoices.create_invoice(
        session, actor.tenant, now, currency=currency[0], total_minor=total, number=number,
        customer_ref=str(attrs["client_id"]), issue_date=issued, due_date=due, attrs=attrs,
    )


def update_invoice(session: Session, row: Invoice, data: wire.InvoiceInput,
                   now: datetime, actor: Actor) -> Invoice:
    """Selective update: only the fields sent change; `state` and amounts are never taken."""
    currency = data.get("currency") or (row.currency, row.attrs.get("currency_label",
                                                                    row.currency))
    issued = data.get("issued_at") or row.issue_date or now.date()
    due_given = data.get("due_at") if data.has("due_at") else (
        date.fromisoformat(row.attrs["due_at_given"]) if row.attrs.get("due_at_given")
        else None)
    changes: dict[str, Any] = {}
    if data.has("number"):
        number = (data.get("number") or "").strip()
        if number != row.number:
            _check_number(session, actor, number, now, row.id)
            changes["number"] = number
    attrs = _compose(data, row.attrs, issued, due_given, currency)
    total, due = attrs.pop("_total"), date.fromisoformat(attrs.pop("_due"))
    if total < 0:
        raise Invalid("Amount can't be negative")
    if total != row.total_minor:
        changes["total_minor"] = total
    return invoices.edit_invoice(
        session, row, "edit", now, allow_overpay=True, attrs=attrs, currency=currency[0],
        customer_ref=str(attrs["client_id"]), issue_date=issued, due_date=due, **changes,
    )


def _account_currency(tenant: Tenant) -> tuple[str, str]:
    label = tenant.attrs.get("currency")
    if isinstance(label, str) and label:
        return wire.currency(label)
    return DEFAULT_CURRENCY


def load_invoice(session: Session, actor: Actor, invoice_id: int, now: datetime) -> Invoice:
    return invoices.get_invoice(session, actor.tenant_id, invoice_id, now=now)


def delete_invoice(session: Session, row: Invoice, now: datetime) -> None:
    invoices.delete_invoice(session, row, now)


# --- payments --------------------------------------------------------------------------------

def record_payment(session: Session, actor: Actor, row: Invoice, data: wire.PaymentInput,
                   amount_minor: int, now: datetime, *, moves_draft: bool = True) -> Payment:
    """`moves_draft`: as recorded from the live v1 API, a payment on an unsent invoice sends it
    (it goes partial or paid, and open once its payments are deleted); without it, a draft
    stays a draft until it is sent, as later Harvest behaved."""
    if moves_draft and row.status == "draft":
        invoices.transition(session, row, "mark_as_sent", now)
    attrs = {"notes": data.notes, "recorded_by": actor.name, "recorded_by_email": actor.email}
    return invoices.record_payment(session, row, now, amount_minor=amount_minor, method="OTHER",
                                   paid_at=data.paid_at, attrs=attrs, allow_overpay=True)


# --- messages and state actions --------------------------------------------------------------

def _message_attrs(actor: Actor, data: wire.MessageInput, event: str,
                   thank_you: bool) -> dict[str, Any]:
    listed = list(data.recipients)
    if data.send_me_a_copy:
        listed.append(f"{actor.name} <{actor.email}>" if actor.name else actor.email)
    return {
        "event": event, "body": data.body, "subject": data.subject,
        "recipients": data.recipients, "full_recipient_list": ",".join(listed),
        "attach_pdf": data.attach_pdf, "send_me_a_copy": data.send_me_a_copy,
        "include_pay_pal_link": data.include_pay_pal_link, "thank_you": thank_you,
        "sent_by": actor.name, "sent_by_email": actor.email,
    }


def send(session: Session, actor: Actor, row: Invoice, data: wire.MessageInput,
         now: datetime) -> InvoiceEvent:
    """Email the invoice: a draft becomes open; a paid invoice gets a thank-you note."""
    invoices.transition(session, row, "send", now)
    return invoices.add_event(session, row, MESSAGE, now,
                              _message_attrs(actor, data, "send", row.status == "paid"))


def state_action(session: Session, actor: Actor, row: Invoice, action: str,
                 data: wire.MessageInput, now: datetime) -> InvoiceEvent:
    """mark_as_sent / mark_as_closed / re_open / mark_as_draft, each recorded as a message."""
    invoices.transition(session, row, action, now)
    return invoices.add_event(session, row, MESSAGE, now,
                              _message_attrs(actor, data, action, False))


def messages_of(session: Session, actor: Actor, row: Invoice) -> list[InvoiceEvent]:
    events, _ = invoices.list_events(session, actor.tenant_id, MESSAGE, row.id)
    return events
