"""SmartLink request bodies: one form field whose value is a JSON object, checked field by field.

Checks run in this order and the first failure wins (payone.md's field order):

1. the form field (`invoices` / `invoice`, see `paths.FORM_FIELDS`): absent or blank 00023;
   a value that is not readable JSON, or JSON that is not an object, 00017;
2. `merchantID` (00001 missing, 00018 invalid), `authenticationToken` (00021, 00022);
3. the merchant itself (`auth.merchant`: 00007, 00029, 00022);
4. the operation's fields. `invoicesDetails`: absent or empty 00024, not an array of objects
   00017, more than `MAX_INVOICES` 00008; then each item in order, each field in the order
   `invoiceID, amount, currency, paymentDescription, customerID, customerEmailAddress,
   customerMobileNumber` (then 00037 when neither contact is given), `language, expiryperiod,
   notificationEmail, dynamicFields` (then 00031 for a merchant's required dynamic field),
   `notifyMe, generateQRCode`; then 00020 for an id repeated within the request; then (in the
   operation, against stored invoices) 00010 / 00028 / 00042 and the state rules.

A missing field is absent, `null` or `""`. JSON integers are accepted where strings are expected
(a Java client's `"amount": 100` reads as `"100"`); other wrong types are the field's "Invalid"
error, or 00008 for fields that have none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from ...core.numbers import NumberError, loads_exact
from .errors import PayOneError

MAX_INVOICES = 100  # per createInvoice / completeInvoice request
MAX_FORM_FIELDS = 50
MAX_EXPIRY_DAYS = 365

MERCHANT_ID = re.compile(r"[A-Za-z0-9._-]{1,30}")
TOKEN = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces
INVOICE_ID = re.compile(r"[A-Za-z0-9._-]{1,60}")
AMOUNT = re.compile(r"[1-9][0-9]{0,11}")  # minor units, no sign, no decimal point
CUSTOMER_ID = re.compile(r"[A-Za-z0-9._@-]{1,50}")
EMAIL = re.compile(r"[^@\s\"<>(),;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
MOBILE = re.compile(r"00[1-9][0-9]{6,14}")  # digits with the 00 international prefix
EXPIRY = re.compile(r"([1-9][0-9]{0,2})D")
LANGUAGES = ("en", "ar")
YES_NO = ("yes", "no")
MAX_DESCRIPTION = 255
MAX_EMAIL = 100

# ISO 4217 numeric codes of circulating currencies (funds, metals and test codes excluded).
_ISO_NUMERIC = """
008 012 032 036 044 048 050 051 052 060 064 068 072 084 090 096 104 108 116 124 132 136 144
152 156 170 174 188 192 203 208 214 222 230 232 238 242 262 270 292 320 324 328 332 340 344
348 352 356 360 364 368 376 388 392 398 400 404 408 410 414 417 418 422 426 430 434 446 454
458 462 480 484 496 498 504 512 516 524 532 533 548 554 558 566 578 586 590 598 600 604 608
634 643 646 654 682 690 702 704 706 710 728 748 752 756 760 764 776 780 784 788 800 807 818
826 834 840 858 860 882 886 901 924 925 926 928 929 930 933 934 936 938 941 943 944 946 949
950 951 952 953 967 968 969 971 972 973 975 976 977 978 980 981 985 986
"""
CURRENCIES = frozenset(_ISO_NUMERIC.split())


# --- the form field and its JSON ----------------------------------------------------------------

def form_json(body: bytes, names: Sequence[str]) -> dict[str, Any]:
    """The JSON object held by the first of `names` present in the form body."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict",
                          max_num_fields=MAX_FORM_FIELDS)
    except UnicodeDecodeError:
        raise PayOneError("00017") from None
    except ValueError:  # more fields than any SmartLink request has
        raise PayOneError("00008") from None
    raw = next((v for name in names for k, v in pairs if k == name and v.strip()), None)
    if raw is None:
        raise PayOneError("00023")
    try:
        document = loads_exact(raw)
    except NumberError:  # readable JSON holding a number no SmartLink field can take
        raise PayOneError("00008") from None
    except (ValueError, RecursionError):
        raise PayOneError("00017") from None
    if not isinstance(document, dict):
        raise PayOneError("00017")
    return document


# --- scalar fields ------------------------------------------------------------------------------

def _text(document: dict[str, Any], key: str, invalid: str) -> str | None:
    """A string field: None when missing; integers read as their digits."""
    value = document.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise PayOneError(invalid)
    return str(value)


def _required(document: dict[str, Any], key: str, missing: str, invalid: str,
              pattern: re.Pattern[str] | None = None) -> str:
    value = _text(document, key, invalid)
    if value is None:
        raise PayOneError(missing)
    if pattern is not None and not pattern.fullmatch(value):
        raise PayOneError(invalid)
    return value


def _optional(document: dict[str, Any], key: str, invalid: str,
              pattern: re.Pattern[str]) -> str | None:
    value = _text(document, key, invalid)
    if value is not None and not pattern.fullmatch(value):
        raise PayOneError(invalid)
    return value


def credentials(document: dict[str, Any]) -> tuple[str, str]:
    merchant = _required(document, "merchantID", "00001", "00018", MERCHANT_ID)
    token = _required(document, "authenticationToken", "00021", "00022", TOKEN)
    return merchant, token


def invoice_id(document: dict[str, Any]) -> str:
    return _required(document, "invoiceID", "00009", "00011", INVOICE_ID)


def amount(document: dict[str, Any]) -> tuple[int, str]:
    text = _required(document, "amount", "00002", "00004", AMOUNT)
    return int(text), text


def currency(document: dict[str, Any], *, missing: str) -> str:
    code = _required(document, "currency", missing, "00005")
    if code not in CURRENCIES:
        raise PayOneError("00005")
    return code


def _choice(document: dict[str, Any], key: str, choices: Sequence[str], invalid: str,
            default: str) -> str:
    value = _text(document, key, invalid)
    if value is None:
        return default
    if value.lower() not in choices:
        raise PayOneError(invalid)
    return value.lower()


def _items(document: dict[str, Any]) -> list[dict[str, Any]]:
    items = document.get("invoicesDetails")
    if items is None or items == [] or items == "":
        raise PayOneError("00024")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise PayOneError("00017")
    if len(items) > MAX_INVOICES:
        raise PayOneError("00008")
    return items


def _no_repeats(ids: list[str]) -> None:
    if len(set(ids)) != len(ids):
        raise PayOneError("00020")


# --- createInvoice / createPreAuthInvoice -------------------------------------------------------

@dataclass(frozen=True)
class NewInvoice:
    invoice_id: str
    amount_minor: int
    currency: str
    expiry_days: int
    customer_id: str | None
    qr_code: bool
    attrs: dict[str, Any]  # the descriptive fields as the client sent them


def _dynamic_fields(item: dict[str, Any], required: Sequence[str]) -> list[dict[str, Any]]:
    fields = item.get("dynamicFields")
    if fields is None or fields == "":
        fields = []
    if not isinstance(fields, list) or not all(
        isinstance(f, dict) and all(isinstance(k, str) and k and not isinstance(v, (dict, list))
                                    for k, v in f.items())
        for f in fields
    ):
        raise PayOneError("00014")
    given = {k for f in fields for k, v in f.items() if v not in (None, "")}
    if any(name not in given for name in required):
        raise PayOneError("00031")
    return [{k: str(v) if isinstance(v, Decimal) else v for k, v in f.items()} for f in fields]


def _new_invoice(item: dict[str, Any], required_dynamic: Sequence[str]) -> NewInvoice:
    ident = invoice_id(item)
    minor, amount_text = amount(item)
    code = currency(item, missing="00003")
    description = _required(item, "paymentDescription", "00034", "00016")
    if len(description) > MAX_DESCRIPTION:
        raise PayOneError("00016")
    customer = _optional(item, "customerID", "00033", CUSTOMER_ID)
    email = _optional(item, "customerEmailAddress", "00012", EMAIL)
    if email is not None and len(email) > MAX_EMAIL:
        raise PayOneError("00012")
    mobile = _optional(item, "customerMobileNumber", "00013", MOBILE)
    if email is None and mobile is None:
        raise PayOneError("00037")
    language = _choice(item, "language", LANGUAGES, "00006", "en")
    expiry = _required(item, "expiryperiod", "00027", "00015", EXPIRY)
    days = int(expiry[:-1])
    if days > MAX_EXPIRY_DAYS:
        raise PayOneError("00015")
    notification_email = _optional(item, "notificationEmail", "00008", EMAIL)
    dynamic = _dynamic_fields(item, required_dynamic)
    notify = _choice(item, "notifyMe", YES_NO, "00008", "no")
    qr = _choice(item, "generateQRCode", YES_NO, "00008", "no")
    attrs: dict[str, Any] = {
        "amount": amount_text,
        "currency": code,
        "paymentDescription": description,
        "customerEmailAddress": email,
        "customerMobileNumber": mobile,
        "language": language,
        "expiryperiod": expiry,
        "notificationEmail": notification_email,
        "dynamicFields": dynamic,
        "notifyMe": notify,
        "generateQRCode": qr,
    }
    return NewInvoice(invoice_id=ident, amount_minor=minor, currency=code, expiry_days=days,
                      customer_id=customer, qr_code=qr == "yes",
                      attrs={k: v for k, v in attrs.items() if v is not None})


def new_invoices(document: dict[str, Any],
                 required_dynamic: Sequence[str] = ()) -> list[NewInvoice]:
    specs = [_new_invoice(item, required_dynamic) for item in _items(document)]
    _no_repeats([s.invoice_id for s in specs])
    return specs


# --- completeInvoice ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Completion:
    invoice_id: str
    amount_minor: int
    amount_text: str
    currency: str


def completions(document: dict[str, Any]) -> list[Completion]:
    out = []
    for item in _items(document):
        ident = invoice_id(item)
        minor, text = amount(item)
        out.append(Completion(ident, minor, text, currency(item, missing="00039")))
    _no_repeats([c.invoice_id for c in out])
    return out


# --- refundInvoice ------------------------------------------------------------------------------

def refund_request(document: dict[str, Any]) -> tuple[str, int | None]:
    """The invoice and the amount to refund (None: everything refundable)."""
    ident = invoice_id(document)
    text = _optional(document, "amount", "00004", AMOUNT)
    return ident, None if text is None else int(text)
