"""List query parameters: `count`, `page` (0-based), `order_on`, `order_by`, repeatable
`filter=field,OP,value` (sandbox grammar; IN and BETWEEN take comma-separated values)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import QueryParams

from ...core import money, numbers
from ...core.query import OPERATORS, Filter, Page, Sort
from .compute import DateError, parse_date
from .errors import invalid

Convert = Callable[[str], Any]


def _amount(text: str) -> int:
    return money.to_minor(money.to_decimal(text))


def _day(text: str) -> Any:
    return parse_date(text)[0]


def _instant(text: str) -> datetime:
    day = parse_date(text)[0]
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _int(text: str) -> int:
    return numbers.integer(text)  # ids are 64-bit; larger numbers cannot match anything


# Bounds on one list request (SQLite refuses expressions nested 1,000 deep, which ~1,000 ANDed
# filters reach, and LIKE patterns over 50,000 bytes).
MAX_FILTERS = 20
MAX_VALUES = 100  # of one IN
MAX_VALUE_CHARS = 1000  # of one filter value, LIKE patterns included


@dataclass(frozen=True)
class Field:
    column: str
    convert: Convert = str


INVOICE_FIELDS = {
    "invoice_id": Field("id", _int),
    "invoice_number": Field("number"),
    "customer_id": Field("customer_ref"),
    "status": Field("status"),
    "tran_currency": Field("currency"),
    "amt_tran": Field("total_minor", _amount),
    "amt_paid": Field("paid_minor", _amount),
    "amt_balance": Field("balance_minor", _amount),
    "date_invoice": Field("issue_date", _day),
    "date_due": Field("due_date", _day),
    "date_sent": Field("stamps.sent_at"),
    "date_payment": Field("stamps.last_payment_at"),
    "profile_id": Field("attrs.profile_id"),
    "db_timestamp": Field("updated_at", _instant),
}

PAYMENT_FIELDS = {
    "payment_id": Field("id", _int),
    "invoice_id": Field("invoice_id", _int),
    "type": Field("method"),
    "amt_paid": Field("amount_minor", _amount),
    "date_payment": Field("paid_at", _instant),
    "db_timestamp": Field("updated_at", _instant),
}

BOUNCED_FIELDS = {
    "invoice_id": Field("invoice_id", _int),
    "db_timestamp": Field("created_at", _instant),
}


@dataclass(frozen=True)
class Listing:
    filters: list[Filter]
    sort: list[Sort]
    page: Page
    count: int
    page_number: int


def _whole(params: QueryParams, name: str, default: int, low: int, high: int,
           errors: dict[str, str]) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return numbers.whole(raw, low, high)
    except numbers.NumberError:
        errors[name] = f"must be a whole number between {low} and {high}"
        return default


def parse(params: QueryParams, fields: dict[str, Field], default_order: str) -> Listing:
    errors: dict[str, str] = {}
    count = _whole(params, "count", 10, 1, 100, errors)
    page = _whole(params, "page", 0, 0, 10_000_000, errors)
    order_on = params.get("order_on") or default_order
    if order_on not in fields:
        errors["order_on"] = f"cannot order on {order_on}"
    order_by = (params.get("order_by") or "desc").lower()
    if order_by not in ("asc", "desc"):
        errors["order_by"] = "must be asc or desc"
    filters = []
    given = params.getlist("filter")
    if len(given) > MAX_FILTERS:
        errors["filter"] = f"at most {MAX_FILTERS} filters are allowed, got {len(given)}"
        given = []
    for i, raw in enumerate(given):
        try:
            filters.append(_filter(raw, fields))
        except ValueError as exc:
            errors[f"filter[{i}]"] = str(exc)
    if errors:
        raise invalid(errors)
    sort = [Sort(fields[order_on].column, descending=order_by == "desc")]
    return Listing(filters, sort, Page(offset=page * count, limit=count), count, page)


def _filter(raw: str, fields: dict[str, Field]) -> Filter:
    parts = raw.split(",", 2)
    if len(parts) < 2:
        raise ValueError("expected field,OPERATOR,value")
    name, op = parts[0].strip(), parts[1].strip().upper()
    if name not in fields:
        raise ValueError(f"unknown field {name}")
    if op not in OPERATORS:
        raise ValueError(f"unknown operator {op}")
    field = fields[name]
    if op in ("IS_NULL", "IS_NOT_NULL"):
        return Filter(field.column, op)
    if len(parts) < 3:
        raise ValueError(f"{op} needs a value")
    if len(parts[2]) > MAX_VALUE_CHARS:
        raise ValueError(f"the value of {name} is longer than {MAX_VALUE_CHARS} characters")
    texts = parts[2].split(",")
    if op == "IN" and len(texts) > MAX_VALUES:
        raise ValueError(f"at most {MAX_VALUES} values are allowed")
    try:
        if op in ("IN", "BETWEEN"):
            values = [field.convert(v.strip()) for v in texts]
            if op == "BETWEEN" and len(values) != 2:
                raise ValueError("BETWEEN needs two values")
            return Filter(field.column, op, values)
        value = parts[2] if op == "LIKE" else field.convert(parts[2].strip())
        return Filter(field.column, op, value)
    except (ValueError, DateError, money.MoneyError) as exc:  # NumberError is a ValueError
        raise ValueError(f"bad value for {name}: {exc}") from None


def envelope(rows: list[dict[str, Any]], total: int, listing: Listing) -> dict[str, Any]:
    return {
        "code": 0,
        "message": "Success",
        "totalPages": (total + listing.count - 1) // listing.count,
        "totalRecords": total,
        "data": rows,
    }
