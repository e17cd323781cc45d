"""TransportOne request bodies and query strings: JSON parsed exactly (numbers as Decimal) and
checked field by field. Every type or range failure is one 400 VALIDATION_ERROR naming all the
failing fields (`create[0].amount must be a number`); malformed ids have their own codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.datastructures import QueryParams

from ...core import money, numbers
from ...core.numbers import NumberError, loads_exact
from .errors import (
    INVALID_CHARGE_ID,
    INVALID_INVOICE_ID,
    TransportOneError,
    invalid,
)

CURRENCY = "INR"
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,62}$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_MILLIS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
MAX_AMOUNT = Decimal("1e12")
CLIENT_STATUSES = ("BILLABLE", "NON_BILLABLE")  # APPROVED / REJECTED are the shipper's to set


def parse_json(raw: bytes, *, optional: bool = False) -> dict[str, Any]:
    """The body as a JSON object with exact numbers; an empty body is `{}` when `optional`."""
    if not raw.strip():
        if optional:
            return {}
        raise invalid({"body": "is required (a JSON object)"})
    try:
        document = loads_exact(raw)
    except NumberError as exc:
        raise invalid({"body": f"has a number that {exc}"}) from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise invalid({"body": "is not valid JSON"}) from None
    if not isinstance(document, dict):
        raise invalid({"body": "must be a JSON object"})
    return document


def millis(instant: datetime) -> int:
    return (instant - EPOCH) // timedelta(milliseconds=1)


def from_millis(value: int) -> datetime:
    return EPOCH + timedelta(milliseconds=value)


class Reader:
    """Typed access to one JSON object; problems are collected, then raised together."""

    def __init__(self, doc: dict[str, Any], prefix: str = "",
                 problems: dict[str, str] | None = None,
                 bad_ids: dict[str, str] | None = None) -> None:
        self.doc = doc
        self.prefix = prefix
        self.problems: dict[str, str] = {} if problems is None else problems
        self.bad_ids: dict[str, str] = {} if bad_ids is None else bad_ids

    def name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def has(self, key: str) -> bool:
        return self.doc.get(key) is not None

    def fail(self, key: str, reason: str) -> None:
        self.problems.setdefault(self.name(key), reason)

    def _get(self, key: str, required: bool) -> Any:
        value = self.doc.get(key)
        if value is None and required:
            self.fail(key, "is required")
        return value

    def text(self, key: str, *, required: bool = False, limit: int = 255) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(key, "must be a string")
            return None
        if required and not value.strip():
            self.fail(key, "must not be empty")
            return None
        if len(value) > limit:
            self.fail(key, f"must be at most {limit} characters")
            return None
        return value

    def ident(self, key: str, *, required: bool = False, code: str = INVALID_INVOICE_ID
              ) -> str | None:
        """An id used in paths (`INV-20241201-001`); a malformed one gets `code`."""
        value = self.text(key, required=required, limit=1000)
        if value is not None and not ID.match(value):
            self.bad_ids.setdefault(self.name(key), code)
            return None
        return value

    def amount(self, key: str, *, required: bool = False, positive: bool = False) -> int | None:
        """A JSON number in rupees, kept exact, as paise."""
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            self.fail(key, "must be a number")
            return None
        amount = Decimal(value)
        if amount < 0:
            self.fail(key, "must not be negative")
            return None
        if positive and amount == 0:
            self.fail(key, "must be greater than 0")
            return None
        if amount >= MAX_AMOUNT:
            self.fail(key, "is too large")
            return None
        try:
            return money.to_minor(amount, CURRENCY)
        except money.MoneyError:
            self.fail(key, "must have at most 2 decimal places")
            return None

    def instant(self, key: str) -> datetime | None:
        """Epoch milliseconds."""
        value = self._get(key, False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, "must be epoch milliseconds (an integer)")
            return None
        if not 0 <= value <= MAX_MILLIS:
            self.fail(key, "is out of range")
            return None
        return from_millis(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(key, "must be true or false")
            return default
        return value

    def choice(self, key: str, options: tuple[str, ...], default: str | None = None
               ) -> str | None:
        value = self.text(key, limit=64)
        if value is None:
            return default
        if value not in options:
            self.fail(key, f"must be one of {', '.join(options)}")
            return default
        return value

    def child(self, key: str, *, required: bool = False) -> Reader | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(key, "must be an object")
            return None
        return Reader(value, self.name(key), self.problems, self.bad_ids)

    def children(self, key: str, *, required: bool = False, limit: int = 1000
                 ) -> list[Reader] | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, list):
            self.fail(key, "must be a list")
            return None
        if len(value) > limit:
            self.fail(key, f"must have at most {limit} entries")
            return None
        out = []
        for i, entry in enumerate(value):
            if not isinstance(entry, dict):
                self.problems.setdefault(f"{self.name(key)}[{i}]", "must be an object")
                continue
            out.append(Reader(entry, f"{self.name(key)}[{i}]", self.problems, self.bad_ids))
        return out

    def strings(self, key: str, *, limit: int = 100) -> list[str] | None:
        value = self._get(key, False)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "must be a list of strings")
            return None
        if len(value) > limit:
            self.fail(key, f"must have at most {limit} entries")
            return None
        return list(value)

    def raw_list(self, key: str, *, limit: int = 100) -> list[Any] | None:
        value = self._get(key, False)
        if value is None:
            return None
        if not isinstance(value, list) or len(value) > limit:
            self.fail(key, f"must be a list of at most {limit} entries")
            return None
        try:
            return _plain(value)  # type: ignore[no-any-return]
        except NumberError:
            self.fail(key, "holds a whole number beyond 64 bits")
            return None

    def done(self) -> None:
        if self.problems:
            raise invalid(self.problems)
        if self.bad_ids:
            name, code = next(iter(self.bad_ids.items()))
            kind = "charge" if code == INVALID_CHARGE_ID else "invoice"
            raise TransportOneError(400, code, f"Invalid {kind} id provided ({name})")


def _plain(value: Any) -> Any:
    """Decimals back to JSON-storable numbers (for free-form lists such as supportingDocs);
    NumberError for a whole number JSON renderers cannot write (beyond 64 bits)."""
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return numbers.integer(str(value))
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def path_id(raw: str, code: str = INVALID_INVOICE_ID) -> str:
    if not ID.match(raw):
        kind = "charge" if code == INVALID_CHARGE_ID else "invoice"
        raise TransportOneError(400, code, f"Invalid {kind} id provided")
    return raw


# --- requests ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str


def credentials(doc: dict[str, Any]) -> Credentials:
    r = Reader(doc)
    client_id = r.text("clientId", required=True)
    secret = r.text("clientSecret", required=True)
    r.text("audience")
    r.done()
    assert client_id is not None and secret is not None
    return Credentials(client_id, secret)


@dataclass(frozen=True)
class Cancel:
    invoice_id: str | None
    reason: str | None


def cancel(doc: dict[str, Any], *, needs_id: bool) -> Cancel:
    r = Reader(doc)
    invoice_id = r.ident("invoiceId", required=needs_id) if needs_id else None
    reason = r.text("cancellationReason", limit=1000)
    r.done()
    return Cancel(invoice_id, reason)


@dataclass(frozen=True)
class Rejection:
    invoice_id: str
    rejections: list[tuple[str, str | None]]
    approve_remaining: bool


def rejection(doc: dict[str, Any]) -> Rejection:
    r = Reader(doc)
    invoice_id = r.ident("invoiceId", required=True)
    entries = r.children("rejectedCharges") or []
    approve_remaining = r.flag("approveRemaining", False)
    rejections: list[tuple[str, str | None]] = []
    for entry in entries:
        code = entry.ident("uniqueCode", required=True, code=INVALID_CHARGE_ID)
        reason = entry.text("shipperRejectionReason", limit=1000)
        if code is not None:
            if any(code == seen for seen, _ in rejections):
                entry.fail("uniqueCode", "is listed more than once")
            rejections.append((code, reason))
    if not entries and not approve_remaining and "rejectedCharges" not in r.problems:
        r.fail("rejectedCharges", "must not be empty unless approveRemaining is true")
    r.done()
    assert invoice_id is not None
    return Rejection(invoice_id, rejections, approve_remaining)


@dataclass
class Charge:
    unique_code: str | None
    amount_minor: int | None = None
    status: str | None = None
    invoice_id: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


_CHARGE_TEXT = {"chargeHead": "charge_head", "chargeType": "charge_type",
                "indentId": "indent_id", "transporterId": "transporter_id",
                "transporterRemarks": "transporter_remarks"}


def charge(r: Reader, *, creating: bool) -> Charge:
    """A charge in a create (chargeHead and amount required) or an update (uniqueCode required)."""
    out = Charge(r.ident("uniqueCode", required=not creating, code=INVALID_CHARGE_ID))
    for wire_name, attr in _CHARGE_TEXT.items():
        value = r.text(wire_name, required=creating and wire_name == "chargeHead",
                       limit=1000 if wire_name == "transporterRemarks" else 255)
        if value is not None:
            out.attrs[attr] = value
    if creating:
        out.attrs.setdefault("charge_type", "EXPENSE")
    out.amount_minor = r.amount("amount", required=creating)
    system = r.amount("systemAmount")
    if system is not None:
        out.attrs["system_amount_minor"] = system
    docs = r.raw_list("supportingDocs")
    if docs is not None:
        out.attrs["supporting_docs"] = docs
    out.status = r.choice("status", CLIENT_STATUSES)
    out.invoice_id = r.ident("invoiceId")
    return out


@dataclass(frozen=True)
class BulkCharges:
    create: list[Charge]
    update: list[Charge]


def bulk_charges(doc: dict[str, Any]) -> BulkCharges:
    r = Reader(doc)
    create = [charge(c, creating=True) for c in r.children("create") or []]
    update = [charge(c, creating=False) for c in r.children("update") or []]
    if not create and not update and not r.problems:
        r.fail("create", "or update must list at least one charge")
    codes = [c.unique_code for c in create if c.unique_code] + \
        [c.unique_code for c in update if c.unique_code]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        r.fail("uniqueCode", f"is listed more than once: {', '.join(duplicates)}")
    r.done()
    return BulkCharges(create, update)


@dataclass
class PaymentIn:
    invoice_id: str | None
    invoice_number: str | None
    applied_minor: int
    total_minor: int
    payment_type: str
    paid_at: datetime | None
    attrs: dict[str, Any]


def payment(r: Reader, *, needs_invoice: bool = True) -> PaymentIn | None:
    """One payment as the ERP reports it; the invoice by `invoiceId` or `invoiceNumber`."""
    invoice_id = r.ident("invoiceId")
    number = r.text("invoiceNumber", limit=100)
    if needs_invoice and not r.has("invoiceId") and not r.has("invoiceNumber"):
        r.fail("invoiceId", "is required (or invoiceNumber)")
    applied = r.amount("appliedAmount", positive=True)
    total = r.amount("totalAmount", positive=True)
    if not r.has("appliedAmount") and not r.has("totalAmount"):
        r.fail("appliedAmount", "is required (or totalAmount)")
    if applied is not None and total is not None and applied > total:
        r.fail("appliedAmount", "must not exceed totalAmount")
    payment_type = r.text("paymentType", limit=64) or "BANK_TRANSFER"
    paid_at = r.instant("paymentDate")
    attrs: dict[str, Any] = {}
    for wire_name, attr in (("paymentId", "payment_id"), ("referenceNumber", "reference_number"),
                            ("paymentRemarks", "payment_remarks"), ("appliedBy", "applied_by")):
        value = r.text(wire_name, limit=1000 if wire_name == "paymentRemarks" else 255)
        if value is not None:
            attrs[attr] = value
    bank = r.child("bankDetails")
    if bank is not None:
        details = {name: bank.text(name, limit=100)
                   for name in ("bankName", "accountNumber", "ifscCode")}
        attrs["bank_details"] = {k: v for k, v in details.items() if v is not None}
    amount = applied if applied is not None else total
    if amount is None:
        return None
    return PaymentIn(invoice_id, number, amount, total if total is not None else amount,
                     payment_type, paid_at, attrs)


def single_payment(doc: dict[str, Any]) -> PaymentIn:
    r = Reader(doc)
    parsed = payment(r)
    r.done()
    assert parsed is not None
    return parsed


@dataclass(frozen=True)
class BulkPayments:
    payments: list[PaymentIn]
    callback_url: str | None


def bulk_payments(doc: dict[str, Any]) -> BulkPayments:
    r = Reader(doc)
    data = r.child("data", required=True)
    rows = (data.children("payments", required=True) if data is not None else None) or []
    if data is not None and data.has("payments") and not rows and not r.problems:
        data.fail("payments", "must list at least one payment")
    parsed = [payment(row) for row in rows]
    callback = r.child("callback")
    url = callback.text("url", required=True, limit=2000) if callback is not None else None
    if url is not None and not http_url(url):
        r.fail("callback.url", "must be an http:// or https:// URL")
    r.done()
    return BulkPayments([p for p in parsed if p is not None], url)


def http_url(value: str) -> bool:
    return bool(re.match(r"^https?://[^\s/]+(/\S*)?$", value))


STATES = ("DRAFT", "SUBMITTED", "APPROVED", "REJECTED", "PARTIALLY_PAID", "PAID", "CANCELLED")


@dataclass
class InvoiceSpec:
    """A freight invoice as the sandbox control plane and the fixtures create it."""

    unique_code: str
    invoice_number: str
    transporter_id: str
    transporter_name: str
    state: str
    charges: list[Charge]
    invoice_date: datetime | None
    due_date: datetime | None
    payments: list[PaymentIn]
    rejection_reasons: list[str]
    rejection_remark: str | None
    cancellation_reason: str | None


def invoice_spec(doc: dict[str, Any]) -> InvoiceSpec:
    r = Reader(doc)
    unique_code = r.ident("uniqueCode", required=True)
    number = r.text("invoiceNumber", required=True, limit=100)
    transporter_id = r.text("transporterId", required=True, limit=100)
    transporter_name = r.text("transporterName", required=True)
    state = r.choice("state", STATES, "DRAFT") or "DRAFT"
    charges = [charge(c, creating=True) for c in r.children("charges") or []]
    for i, c in enumerate(charges):
        if c.invoice_id is not None:
            r.fail(f"charges[{i}].invoiceId", "is implied by the invoice")
    invoice_date, due_date = r.instant("invoiceDate"), r.instant("dueDate")
    payments = [p for p in (payment(row, needs_invoice=False)
                            for row in r.children("payments") or []) if p is not None]
    if payments and state not in ("PARTIALLY_PAID", "PAID"):
        r.fail("payments", "are only allowed with state PARTIALLY_PAID or PAID")
    reasons = r.strings("shipperRejectionReasons") or []
    remark = r.text("shipperRejectionRemark", limit=1000)
    cancellation = r.text("cancellationReason", limit=1000)
    r.done()
    assert unique_code and number and transporter_id and transporter_name
    return InvoiceSpec(unique_code, number, transporter_id, transporter_name, state, charges,
                       invoice_date, due_date, payments, reasons, remark, cancellation)


# --- query strings -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ListQuery:
    page: int
    size: int
    descending: bool

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def _whole(params: QueryParams, name: str, default: int, low: int, high: int,
           problems: dict[str, str]) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return numbers.whole(raw, low, high)
    except NumberError:
        problems[name] = f"must be a whole number from {low} to {high}"
        return default


def list_query(params: QueryParams) -> ListQuery:
    problems: dict[str, str] = {}
    page = _whole(params, "page", 1, 1, 1_000_000, problems)
    size = _whole(params, "size", 100, 1, 1000, problems)
    sort = (params.get("sortBy") or "desc").lower()
    if sort not in ("asc", "desc"):
        problems["sortBy"] = "must be asc or desc"
    if problems:
        raise invalid(problems)
    return ListQuery(page, size, sort == "desc")


def states(params: QueryParams, name: str, allowed: frozenset[str]) -> list[str] | None:
    raw = params.get(name)
    if not raw:
        return None
    values = [v.strip().upper() for v in raw.split(",") if v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise invalid({name: f"has unknown values {', '.join(unknown)}"})
    return values
