"""Core rows -> Harvest records (ordered `(name, value)` pairs the codec turns into bytes).

Model records (invoice, payment, message) are in Rails' alphabetical column order; the
account hashes keep the documented order, as Ruby hashes kept insertion order.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ...core import money
from ...core.invoices import AnyInvoice
from ...core.tables import Invoice, InvoiceEvent, Payment, Tenant
from . import codec, lines
from .codec import Nil, Record, Value
from .service import terms_of
from .throttle import Status


def _amount(minor: int, currency: str) -> Decimal:
    return money.from_minor(minor, currency)


def _text(value: Any) -> Value:
    return Nil() if value is None else str(value)


def _percent(value: Any) -> Value:
    return Nil("decimal") if value is None else Decimal(str(value))


def _day(value: Any) -> Value:
    return Nil("date") if value is None else date.fromisoformat(str(value))


def invoice(row: AnyInvoice, *, with_lines: bool) -> Record:
    a, cur = row.attrs, row.currency
    assert row.id is not None
    client_id = a.get("client_id")
    fields: Record = [
        ("amount", _amount(row.total_minor, cur)),
        ("client_id", Nil("integer") if client_id is None else int(client_id)),
        ("client_key", str(a.get("client_key", ""))),
        ("created_at", row.created_at),
        ("created_by_id", Nil("integer") if a.get("created_by_id") is None
         else int(a["created_by_id"])),
        ("currency", str(a.get("currency_label", cur))),
        ("discount", _percent(a.get("discount"))),
        ("discount_amount", _amount(int(a.get("discount_minor", 0)), cur)),
        ("due_amount", _amount(row.balance_minor, cur)),
        ("due_at", Nil("date") if row.due_date is None else row.due_date),
        ("due_at_human_format", terms_of(row).human),
        ("estimate_id", Nil("integer")),
        ("id", row.id),
        ("issued_at", Nil("date") if row.issue_date is None else row.issue_date),
        ("notes", _text(a.get("notes"))),
        ("number", _text(row.number)),
        ("period_end", _day(a.get("period_end"))),
        ("period_start", _day(a.get("period_start"))),
        ("purchase_order", _text(a.get("purchase_order"))),
        ("recurring_invoice_id", Nil("integer")),
        ("retainer_id", Nil("integer")),
        ("state", row.status),
        ("subject", _text(a.get("subject"))),
        ("tax", _percent(a.get("tax"))),
        ("tax2", _percent(a.get("tax2"))),
        # Never nil: Harvest sent 0.0 when no tax was set, and typed decoders rely on it.
        ("tax2_amount", _amount(int(a.get("tax2_minor", 0)), cur)),
        ("tax_amount", _amount(int(a.get("tax_minor", 0)), cur)),
        ("updated_at", row.updated_at),
    ]
    ordered = codec.rails_order(fields)
    if with_lines:
        ordered.append(("csv_line_items", lines.render(a.get("line_items", []), cur)))
    return ordered


def payment(row: Payment, invoice_row: Invoice) -> Record:
    a = row.attrs
    assert row.id is not None
    return codec.rails_order([
        ("amount", _amount(row.amount_minor, invoice_row.currency)),
        ("authorization", Nil()),
        ("created_at", row.created_at),
        ("id", row.id),
        ("invoice_id", row.invoice_id),
        ("notes", _text(a.get("notes"))),
        ("paid_at", row.paid_at),
        ("pay_pal_transaction_id", Nil()),
        ("payment_gateway_id", Nil("integer")),
        ("recorded_by", str(a.get("recorded_by", ""))),
        ("recorded_by_email", str(a.get("recorded_by_email", ""))),
        ("updated_at", row.updated_at),
    ])


def message(row: InvoiceEvent) -> Record:
    a = row.attrs
    assert row.id is not None
    return codec.rails_order([
        ("body", _text(a.get("body"))),
        ("created_at", row.created_at),
        ("full_recipient_list", str(a.get("full_recipient_list", ""))),
        ("id", row.id),
        ("include_pay_pal_link", bool(a.get("include_pay_pal_link"))),
        ("invoice_id", row.invoice_id),
        ("send_me_a_copy", bool(a.get("send_me_a_copy"))),
        ("sent_by", str(a.get("sent_by", ""))),
        ("sent_by_email", str(a.get("sent_by_email", ""))),
        ("subject", _text(a.get("subject"))),
        ("thank_you", bool(a.get("thank_you"))),
        ("updated_at", row.created_at),
    ])


def who_am_i(tenant: Tenant, user: dict[str, Any], base_uri: str) -> Record:
    a = tenant.attrs
    found = a.get("modules")
    modules: dict[str, Any] = found if isinstance(found, dict) else {}
    company: Record = [
        ("base_uri", base_uri),
        ("full_domain", base_uri.split("://", 1)[-1]),
        ("name", str(a.get("name", tenant.key))),
        ("active", True),
        ("week_start_day", "Monday"),
        ("time_format", "decimal"),
        ("clock", "12h"),
        ("decimal_symbol", "."),
        ("color_scheme", "orange"),
        ("modules", [
            ("expenses", bool(modules.get("expenses", True))),
            ("invoices", bool(modules.get("invoices", True))),
            ("estimates", bool(modules.get("estimates", True))),
            ("approval", bool(modules.get("approval", False))),
        ]),
        ("thousands_separator", ","),
    ]
    person: Record = [
        ("timezone", str(user.get("timezone", "UTC"))),
        ("timezone_utc_offset", int(user.get("timezone_utc_offset", 0))),
        ("id", int(user.get("id", 0))),
        ("email", str(user.get("email", ""))),
        ("admin", bool(user.get("admin", True))),
        ("first_name", str(user.get("first_name", ""))),
        ("last_name", str(user.get("last_name", ""))),
        ("project_manager", [
            ("is_project_manager", True),
            ("can_see_rates", True),
            ("can_create_projects", True),
            ("can_create_invoices", True),
        ]),
        ("timestamp_timers", False),
    ]
    return [("company", company), ("user", person)]


def rate_limit_status(status: Status, max_calls: int, timeframe: int) -> Record:
    return [
        ("last_access_at", Nil("datetime") if status.last_access_at is None
         else status.last_access_at),
        ("count", status.count),
        ("timeframe_limit", timeframe),
        ("max_calls", max_calls),
        ("lockout_seconds", status.lockout_seconds),
    ]


def _plain(value: Value) -> Any:
    if isinstance(value, list):
        return {name: _plain(inner) for name, inner in value}
    if isinstance(value, Nil):
        return None
    if isinstance(value, datetime):
        return codec.format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        raise TypeError("account hashes carry no decimals")
    return value


def hash_json(fields: Record) -> bytes:
    """A Rails hash rendered as JSON: not root-wrapped, unlike model records."""
    return json.dumps(_plain(fields), separators=(",", ":")).encode("ascii")
