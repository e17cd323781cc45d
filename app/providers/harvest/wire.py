"""Request bodies -> validated inputs. XML or JSON (told apart by their first character, since
old clients label bodies inconsistently), with or without `type` attributes, in any order.

Validation collects every problem and reports them together as Rails did
(`<errors><error>Amount can't be blank</error>...`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from ...core import money
from . import codec
from .errors import Invalid

Fields = dict[str, str | None]
T = TypeVar("T")

# JSON roots other clients used for the same records (the Ruby `harvested` gem sends `doc`
# for invoices and `message` for messages).
PAYMENT_ROOTS = ("payment", "invoice_payment")
INVOICE_ROOTS = ("invoice", "doc")
MESSAGE_ROOTS = ("invoice_message", "message")
MAX_PARAMS = 1000  # bounds the work a long query string or form can ask for
_BRACKETED = re.compile(r"([A-Za-z_-]+)\[([A-Za-z0-9_-]+)\]\Z")

CURRENCY_LABELS = {
    "USD": "United States Dollars - USD", "EUR": "Euro - EUR",
    "GBP": "United Kingdom Pounds - GBP", "CAD": "Canada Dollars - CAD",
    "AUD": "Australia Dollars - AUD", "NZD": "New Zealand Dollars - NZD",
    "JPY": "Japan Yen - JPY", "CHF": "Switzerland Francs - CHF",
    "SEK": "Sweden Kronor - SEK", "DKK": "Denmark Kroner - DKK",
    "NOK": "Norway Kroner - NOK", "INR": "India Rupees - INR",
    "ZAR": "South Africa Rand - ZAR", "MXN": "Mexico Pesos - MXN",
    "BRL": "Brazil Reais - BRL", "SGD": "Singapore Dollars - SGD",
}
INVOICE_KINDS = ("free_form", "project", "task", "people", "detailed")
_CURRENCY = re.compile(r"(?:.*\S\s*-\s*)?([A-Za-z]{3})\s*")
_NET = re.compile(r"\s*net\s*(\d{1,4})\s*", re.IGNORECASE)
_RECEIPT = re.compile(r"\s*(?:due\s+)?(?:up)?on\s+receipt\s*", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")
_MAX_PAYMENT = Decimal(10) ** 12
_TEXT_LIMITS = {"subject": 255, "number": 255, "purchase_order": 255, "notes": 65_535,
                "body": 65_535}


def record(body: bytes, roots: tuple[str, ...], limit: int, *, optional: bool = False) -> Fields:
    """The flat fields of the body's record; an empty body is `{}` when `optional`."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if optional and not start:
        return {}
    if start.rstrip() == b"null":
        return {}  # JSON null: what a client serialising "no data" sends
    if start[:1] in (b"{", b"["):
        found: Fields = {}
        for root in roots:
            found = codec.parse_json_record(body, root, limit)
            if found:
                break
        return found
    first: codec.CodecError | None = None
    for root in roots:
        try:
            return codec.parse_xml_record(body, root, limit)
        except codec.CodecError as exc:
            if not exc.message.startswith("Expected a <"):
                raise
            first = first or exc  # report the usual root, not the last alternative tried
    assert first is not None
    raise first


def bracketed(text: str, roots: tuple[str, ...]) -> Fields:
    """Rails-style `invoice[client_id]=7` parameters (from a query string or a form body) of
    the record named by `roots`; other parameters and deeper nesting are ignored."""
    names = {root.replace("-", "_") for root in roots}
    fields: Fields = {}
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_PARAMS)
    except ValueError:
        raise codec.CodecError(f"Too many parameters (maximum is {MAX_PARAMS})") from None
    for key, value in pairs:
        match = _BRACKETED.match(key)
        if match and match.group(1).replace("-", "_") in names:
            fields[match.group(2).replace("-", "_")] = value
    return fields


class Problems:
    """Collects validation messages; `check` runs a parser and keeps its message on failure."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def check(self, parse: Callable[[], T]) -> T | None:
        try:
            return parse()
        except (codec.CodecError, Invalid) as exc:
            self.messages.extend(exc.messages if isinstance(exc, Invalid) else [exc.message])
            return None

    def add(self, message: str) -> None:
        self.messages.append(message)

    def raise_any(self) -> None:
        if self.messages:
            raise Invalid(*self.messages)


def _human(name: str) -> str:
    return name.replace("_", " ").capitalize()


def text(fields: Fields, name: str, problems: Problems) -> str | None:
    value = fields.get(name)
    limit = _TEXT_LIMITS.get(name)
    if value is not None and limit is not None and len(value) > limit:
        problems.add(f"{_human(name)} is too long (maximum is {limit} characters)")
    return value


def day(value: str | None, name: str) -> date:
    """A date, also accepted as a timestamp (its UTC date)."""
    try:
        return codec.parse_date(value, name)
    except codec.CodecError:
        if value is not None and value.strip() and not value.strip().isdigit():
            try:
                return codec.parse_datetime(value, name).date()
            except codec.CodecError:
                pass
        raise


def optional_day(value: str | None, name: str) -> date | None:
    return None if value is None or not value.strip() else day(value, name)


def percent(value: str | None, name: str) -> Decimal | None:
    if value is None or not value.strip():
        return None
    number = codec.parse_decimal(value, name)
    if not Decimal(0) <= number <= Decimal(100):
        raise codec.CodecError(f"{_human(name)} must be between 0 and 100")
    return number


def flag(value: str | None, name: str) -> bool:
    return False if value is None or not value.strip() else codec.parse_bool(value, name)


# --- payments --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PaymentInput:
    amount: Decimal
    paid_at: datetime
    notes: str | None


def payment(fields: Fields, currency: str) -> tuple[PaymentInput, int]:
    """The payment and its amount in minor units of the invoice's currency."""
    problems = Problems()
    amount = problems.check(lambda: codec.parse_decimal(fields.get("amount"), "amount"))
    paid_at = problems.check(lambda: codec.parse_datetime(fields.get("paid_at"), "paid_at"))
    notes = text(fields, "notes", problems)
    minor = 0
    if amount is not None:
        if amount <= 0:
            problems.add("Amount must be greater than 0")
        elif amount >= _MAX_PAYMENT:
            problems.add("Amount is too large")
        else:
            try:
                minor = money.to_minor(amount, currency)
            except money.MoneyError:
                places = money.exponent(currency)
                problems.add(f"Amount must be a number with at most {places} decimal places")
    problems.raise_any()
    assert amount is not None and paid_at is not None
    return PaymentInput(amount, paid_at, notes), minor


# --- invoices --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Terms:
    kind: str  # net | receipt | custom
    days: int = 0

    @property
    def human(self) -> str:
        return {"net": f"net {self.days}", "receipt": "upon receipt"}.get(self.kind, "custom")

    def due(self, issued: date, given: date | None) -> date:
        if self.kind == "net":
            return date.fromordinal(issued.toordinal() + self.days)
        if self.kind == "custom" and given is not None:
            return given
        return issued


def terms(value: str | None) -> Terms:
    raw = (value or "").strip()
    net = _NET.fullmatch(raw)
    if net:
        days = int(net.group(1))
        if days > 3650:
            raise codec.CodecError("Due at human format must be at most NET 3650")
        return Terms("net", days)
    if _RECEIPT.fullmatch(raw):
        return Terms("receipt")
    if raw.lower() == "custom":
        return Terms("custom")
    raise codec.CodecError("Due at human format must be NET N (days), upon receipt or custom")


def currency(value: str | None) -> tuple[str, str]:
    """(ISO code, the label Harvest shows) from `United States Dollars - USD` or `USD`."""
    raw = (value or "").strip()
    match = _CURRENCY.fullmatch(raw)
    if not raw or match is None or len(raw) > 100:
        raise codec.CodecError("Currency is not included in the list")
    code = match.group(1).upper()
    label = raw if "-" in raw else CURRENCY_LABELS.get(code, code)
    return code, label


@dataclass
class InvoiceInput:
    """The fields a create or update sent, parsed; only names in `sent` were present."""

    sent: set[str] = field(default_factory=set)
    values: dict[str, Any] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return name in self.sent

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


def invoice(fields: Fields, *, creating: bool) -> InvoiceInput:
    problems = Problems()
    out = InvoiceInput()

    def keep(name: str, parse: Callable[[], Any]) -> None:
        if name in fields:
            out.sent.add(name)
            out.values[name] = problems.check(parse)

    keep("client_id", lambda: _positive(codec.parse_int(fields["client_id"], "client_id"),
                                        "Client"))
    keep("currency", lambda: currency(fields["currency"]))
    keep("issued_at", lambda: day(fields["issued_at"], "issued_at"))
    keep("due_at", lambda: optional_day(fields["due_at"], "due_at"))
    keep("due_at_human_format", lambda: terms(fields["due_at_human_format"]))
    keep("period_start", lambda: optional_day(fields["period_start"], "period_start"))
    keep("period_end", lambda: optional_day(fields["period_end"], "period_end"))
    for name in ("subject", "notes", "purchase_order", "number"):
        if name in fields:
            out.sent.add(name)
            out.values[name] = text(fields, name, problems)
    keep("kind", lambda: _kind(fields["kind"]))
    keep("tax", lambda: percent(fields["tax"], "tax"))
    keep("tax2", lambda: percent(fields["tax2"], "tax2"))
    keep("discount", lambda: percent(fields["discount"], "discount"))
    if "csv_line_items" in fields:
        out.sent.add("csv_line_items")
        out.values["csv_line_items"] = fields["csv_line_items"] or ""
    if creating and out.get("client_id") is None and "client_id" not in fields:
        problems.add("Client can't be blank")
    if "number" in fields and not creating and not (fields["number"] or "").strip():
        problems.add("Number can't be blank")
    problems.raise_any()
    return out


def _positive(value: int, label: str) -> int:
    if value <= 0:
        raise codec.CodecError(f"{label} must be greater than 0")
    return value


def _kind(value: str | None) -> str:
    raw = (value or "free_form").strip().lower() or "free_form"
    if raw not in INVOICE_KINDS:
        raise codec.CodecError(f"Kind must be one of {', '.join(INVOICE_KINDS)}")
    return raw


# --- messages --------------------------------------------------------------------------------

@dataclass(frozen=True)
class MessageInput:
    body: str | None
    recipients: list[str]
    subject: str | None
    attach_pdf: bool
    send_me_a_copy: bool
    include_pay_pal_link: bool


def recipients(value: str | None) -> list[str]:
    out = []
    for part in re.split(r"[,;\n]", value or ""):
        entry = part.strip()
        if not entry:
            continue
        if not _EMAIL.search(entry) or len(entry) > 320:
            raise codec.CodecError(f"Recipients contains an invalid email address: {entry}")
        out.append(entry)
    if len(out) > 100:
        raise codec.CodecError("Recipients has too many addresses (maximum is 100)")
    return out


def message(fields: Fields, *, sending: bool) -> MessageInput:
    problems = Problems()
    found = problems.check(lambda: recipients(fields.get("recipients")))
    if sending and found == []:
        problems.add("Recipients can't be blank")
    result = MessageInput(
        body=text(fields, "body", problems),
        recipients=found or [],
        subject=text(fields, "subject", problems),
        attach_pdf=bool(problems.check(lambda: flag(fields.get("attach_pdf"), "attach_pdf"))),
        send_me_a_copy=bool(problems.check(
            lambda: flag(fields.get("send_me_a_copy"), "send_me_a_copy"))),
        include_pay_pal_link=bool(problems.check(
            lambda: flag(fields.get("include_pay_pal_link"), "include_pay_pal_link"))),
    )
    problems.raise_any()
    return result
