"""Maast request bodies: JSON parsed exactly (numbers as Decimal) and validated field by field.

Every failure becomes code 2 with `data` mapping the failing field paths to a reason.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictBool,
    StringConstraints,
    ValidationError,
)

from ...core.numbers import NumberError, loads_exact
from .errors import invalid

# Strings of at most N characters (JSON strings only: numbers are not coerced).
Text3 = Annotated[str, StringConstraints(strict=True, max_length=3)]
Text4 = Annotated[str, StringConstraints(strict=True, max_length=4)]
Text10 = Annotated[str, StringConstraints(strict=True, max_length=10)]
Text16 = Annotated[str, StringConstraints(strict=True, max_length=16)]
Text20 = Annotated[str, StringConstraints(strict=True, max_length=20)]
Text25 = Annotated[str, StringConstraints(strict=True, max_length=25)]
Text32 = Annotated[str, StringConstraints(strict=True, max_length=32)]
Text64 = Annotated[str, StringConstraints(strict=True, max_length=64)]
Text128 = Annotated[str, StringConstraints(strict=True, max_length=128)]
Text500 = Annotated[str, StringConstraints(strict=True, max_length=500)]
Text750 = Annotated[str, StringConstraints(strict=True, max_length=750)]


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError("must be a number")
    return Decimal(value)


# Every amount and quantity stays below this (and so does an invoice's total).
MAX_AMOUNT = Decimal("1e12")


def _places(limit: int, minimum: Decimal = Decimal(0), exclusive: bool = False) -> Any:
    def check(value: Decimal) -> Decimal:
        if value < minimum or (exclusive and value == minimum):
            raise ValueError(f"must be {'greater than' if exclusive else 'at least'} {minimum}")
        if value >= MAX_AMOUNT:
            raise ValueError("is too large")
        # Precision is the value's, not the literal's: 10.50 and 10.500 are both cents.
        if -value.normalize().as_tuple().exponent > limit:  # type: ignore[operator]
            raise ValueError(f"must have at most {limit} decimal places")
        return value

    return check


Money = Annotated[Decimal, BeforeValidator(_number), AfterValidator(_places(2))]
PositiveMoney = Annotated[Decimal, BeforeValidator(_number),
                          AfterValidator(_places(2, exclusive=True))]
Quantity = Annotated[Decimal, BeforeValidator(_number),
                     AfterValidator(_places(3, exclusive=True))]
Rate = Annotated[Decimal, BeforeValidator(_number), AfterValidator(_places(4))]
# [0-9], not \d: the pattern engine reads \d as any Unicode digit ("８４０").
Digits3 = Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9]{3}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Contact(_Model):
    first_name: Text32 | None = None
    last_name: Text32 | None = None
    firm_name: Text64 | None = None
    address1: Text128 | None = None
    address2: Text128 | None = None
    city: Text64 | None = None
    state: Text32 | None = None
    zip: Text10 | None = None
    zip4: Text4 | None = None
    phone: Text16 | None = None
    email_address: Text64 | None = None
    country_code: Text3 | None = None
    country: Text64 | None = None


class LineItem(_Model):
    quantity: Quantity
    description: Text128 | None = None
    unit_cost: Money


class SalesTax(_Model):
    type: Literal["RATE", "AMOUNT"]
    value: Rate


class PaymentTerms(_Model):
    type: Literal["DAYS", "DATE"]
    value: Text32


class CheckoutSettings(_Model):
    allow_partial_payments: StrictBool | None = None
    email_receipt: StrictBool | None = None
    allow_ach_payment: StrictBool | None = None


class InvoiceFields(_Model):
    """Every field of CreateInvoiceRequest, all optional: the draft update uses it as is."""

    customer_id: Text32 | None = None
    invoice_number: Text25 | None = None
    from_contact: Contact | None = None
    billing_contact: Contact | None = None
    profile_id: Text20 | None = None
    tran_currency: Digits3 | None = None
    footer_note: Text750 | None = None
    payment_terms_note: Text500 | None = None
    checkout_settings: CheckoutSettings | None = None
    sales_tax: SalesTax | None = None
    payment_terms: PaymentTerms | None = None
    date_invoice: Text32 | None = None
    line_items: list[LineItem] | None = None
    save_customer: StrictBool | None = None


class UpdateOutstanding(_Model):
    from_contact: Contact | None = None
    billing_contact: Contact | None = None


class CopyRequest(_Model):
    invoice_number: Text25 | None = None


class SendRequest(_Model):
    email_address: list[Text64] | None = None
    phone_number: list[Text16] | None = None


class PaymentRequest(_Model):
    type: Literal["CASH", "CHECK", "OTHER", "CARD"]
    amt_paid: PositiveMoney
    date_payment: Text32
    description: Text128 | None = None


def parse_json(raw: bytes, *, optional: bool = False) -> dict[str, Any]:
    """The body as a JSON object, with numbers kept exact; empty allowed when `optional`."""
    if not raw.strip():
        if optional:
            return {}
        raise invalid({"body": "a JSON object is required"}, "Invalid request: empty body")
    try:
        document = loads_exact(raw)
    except NumberError as exc:
        raise invalid({"body": f"a number {exc}"}, "Invalid request: number out of range") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise invalid({"body": "malformed JSON"}, "Invalid request: malformed JSON") from None
    if not isinstance(document, dict):
        raise invalid({"body": "must be a JSON object"},
                      "Invalid request: body must be a JSON object")
    return document


M = TypeVar("M", bound=BaseModel)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("function-"):  # a validator's name, not a field
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "body"


def validate(model: type[M], document: dict[str, Any]) -> M:
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for error in exc.errors(include_url=False):
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "missing":
                message = "is required"
            fields.setdefault(_path(tuple(error["loc"])), message)
        raise invalid(fields) from None


def require(fields: dict[str, str], condition: bool, name: str,
            reason: str = "is required") -> None:
    if not condition:
        fields.setdefault(name, reason)


def check_contacts(fields: InvoiceFields | UpdateOutstanding, errors: dict[str, str],
                   *, need_billing: bool) -> None:
    """Contact rules: email always; billing needs names; sender needs firm name and phone."""
    billing, sender = fields.billing_contact, fields.from_contact
    require(errors, billing is not None or not need_billing, "billing_contact")
    if billing is not None:
        require(errors, bool(billing.email_address), "billing_contact.email_address")
        require(errors, bool(billing.first_name), "billing_contact.first_name")
        require(errors, bool(billing.last_name), "billing_contact.last_name")
    if sender is not None:
        require(errors, bool(sender.email_address), "from_contact.email_address")
        require(errors, bool(sender.firm_name), "from_contact.firm_name")
        require(errors, bool(sender.phone), "from_contact.phone")


def raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise invalid(errors)

