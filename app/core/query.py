"""Provider-neutral filtering, sorting and paging over invoices and payments.

Providers translate their own query grammar into `Filter`/`Sort` on the core's field names
(`number`, `status`, `total_minor`, `attrs.customer_email` ...); unknown fields or operators
raise `QueryError`, which each provider reports in its own error shape.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import JSON, ColumnElement, Text, bindparam, func, or_, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from .db import sql
from .rows import InvoiceRow
from .tables import Invoice, InvoiceCount, InvoiceEvent, Payment, Tenant

OPERATORS = ("EQ", "NE", "GT", "GE", "LT", "LE", "LIKE", "IN", "BETWEEN", "IS_NULL", "IS_NOT_NULL")


class QueryError(ValueError):
    pass


@dataclass(frozen=True)
class Filter:
    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Sort:
    field: str
    descending: bool = False


@dataclass(frozen=True)
class Page:
    offset: int = 0
    limit: int | None = None


_INVOICE_FIELDS = (
    "id", "ref", "kind", "number", "customer_ref", "status", "currency", "total_minor",
    "paid_minor", "refunded_minor", "issue_date", "due_date", "expires_at", "created_at",
    "updated_at",
)
_PAYMENT_FIELDS = ("id", "invoice_id", "method", "amount_minor", "paid_at", "created_at",
                   "updated_at")
_FIELDS: dict[type[SQLModel], tuple[str, ...]] = {
    Invoice: _INVOICE_FIELDS,
    Payment: _PAYMENT_FIELDS,
    InvoiceEvent: ("id", "invoice_id", "kind", "created_at"),
}


def balance() -> Any:
    """The invoice's balance as SQL, spelt as its indexes are (`tables`)."""
    table: Any = Invoice.__table__  # type: ignore[attr-defined]
    return table.c.total_minor - table.c.paid_minor


# Filters and sorts are built on the tables' columns: the same SQL as through the mapped
# attributes, at a fraction of the cost of building it (a list builds several per request).
def _column(model: type[SQLModel], name: str) -> Any:
    table: Any = model.__table__  # type: ignore[attr-defined]
    if model is Invoice and name == "balance_minor":
        return balance()
    if name.startswith("attrs."):
        return table.c.attrs[name.removeprefix("attrs.")].as_string()
    if model is Invoice and name.startswith("stamps."):
        return table.c.stamps[name.removeprefix("stamps.")].as_string()
    if name not in _FIELDS[model]:
        raise QueryError(f"unknown field {name}")
    return table.c[name]


def _condition(model: type[SQLModel], flt: Filter) -> ColumnElement[bool]:
    column = _column(model, flt.field)
    op, value = flt.op.upper(), flt.value
    if op not in OPERATORS:
        raise QueryError(f"unknown operator {flt.op}")
    if op == "IS_NULL":
        return column.is_(None)  # type: ignore[no-any-return]
    if op == "IS_NOT_NULL":
        return column.is_not(None)  # type: ignore[no-any-return]
    if op == "IN":
        return column.in_(list(value))  # type: ignore[no-any-return]
    if op == "BETWEEN":
        low, high = value
        return column.between(low, high)  # type: ignore[no-any-return]
    if op == "LIKE":
        # Case-insensitive on every engine, as SQLite's LIKE is (PostgreSQL's is not).
        return column.ilike(value)  # type: ignore[no-any-return]
    if op == "NE":
        return or_(column != value, column.is_(None))
    comparisons = {"EQ": operator.eq, "GT": operator.gt, "GE": operator.ge, "LT": operator.lt,
                   "LE": operator.le}
    return comparisons[op](column, value)  # type: ignore[no-any-return]


def run(
    session: Session,
    model: type[SQLModel],
    scope: list[ColumnElement[bool]],
    filters: list[Filter],
    sort: list[Sort],
    page: Page,
) -> tuple[list[Any], int]:
    """Rows of `model` in `scope` matching every filter, sorted and paged, plus the total."""
    conditions = scope + [_condition(model, f) for f in filters]
    total = session.exec(select(func.count()).select_from(model).where(*conditions)).one()
    return _fetch(session, model, conditions, sort, page), int(total)


def fetch(
    session: Session,
    model: type[SQLModel],
    scope: list[ColumnElement[bool]],
    filters: list[Filter],
    sort: list[Sort],
    page: Page,
) -> list[Any]:
    """`run` without the total, which costs a read of every matching index entry."""
    return _fetch(session, model, scope + [_condition(model, f) for f in filters], sort, page)


def fetch_rows(session: Session, scope: list[ColumnElement[bool]], filters: list[Filter],
               sort: list[Sort], page: Page) -> list[InvoiceRow]:
    """`fetch` of invoices as plain rows, for pages that only show them: one SQL statement
    and a tuple per row, without ORM instances (several times the cost of the SQL itself)."""
    conditions = scope + [_condition(Invoice, f) for f in filters]
    stmt = _paged(select(*_ROW_COLUMNS).where(*conditions), Invoice, sort, page)
    return [_row(list(found)) for found in sql(session).execute(stmt).all()]


def fetch_rows_with_key(session: Session, ids: list[int]) -> list[tuple[InvoiceRow, str]]:
    """These invoices as plain rows, each with its tenant's key, in no particular order."""
    stmt = (sa_select(*_ROW_COLUMNS, _TENANT_KEY)
            .join(Tenant, col(Invoice.tenant_id) == col(Tenant.id))
            .where(col(Invoice.id).in_(ids)))
    return [(_row(list(found[:-1])), found[-1]) for found in sql(session).execute(stmt).all()]


_INVOICES: Any = Invoice.__table__  # type: ignore[attr-defined]
_TENANT_KEY: Any = Tenant.__table__.c.key  # type: ignore[attr-defined]
# The JSON columns come as their text and are decoded by `_json`: orjson is several times
# faster than the json module that the column type calls.
_ROW_COLUMNS = [type_coerce(c, Text).label(c.name) if isinstance(c.type, JSON) else c
                for c in _INVOICES.columns]
_STAMPS = [c.name for c in _INVOICES.columns].index("stamps")
_ATTRS = [c.name for c in _INVOICES.columns].index("attrs")
assert _ATTRS == _STAMPS + 1
# orjson turns integers beyond 64 bits (20 digits or more) into floats; text with a run of 20
# digits goes to the json module, which keeps them as the column type would. Found by mapping
# every digit to 9 and searching bytes, several times faster than a regular expression.
_NINES = bytes.maketrans(b"0123456789", b"9" * 10)
_LONG_RUN = b"9" * 20


def _row(values: list[Any]) -> InvoiceRow:
    values[_STAMPS] = _json(values[_STAMPS])
    values[_ATTRS] = _json(values[_ATTRS])
    return InvoiceRow(*values)


def _json(value: Any) -> Any:
    if not isinstance(value, str):  # decoded by the driver already (PostgreSQL)
        return value
    if _LONG_RUN not in value.encode().translate(_NINES):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:  # NaN and Infinity, which the json module accepts
            pass
    return json.loads(value)


def _fetch(session: Session, model: type[SQLModel], conditions: list[ColumnElement[bool]],
           sort: list[Sort], page: Page) -> list[Any]:
    return list(session.exec(_paged(select(model).where(*conditions), model, sort, page)).all())


def _paged(stmt: Any, model: type[SQLModel], sort: list[Sort], page: Page) -> Any:
    for key in sort:
        column = _column(model, key.field)
        # Nulls sort as the smallest value (SQLite's order), spelled out for PostgreSQL,
        # which by default sorts them as the largest.
        stmt = stmt.order_by(column.desc().nulls_last() if key.descending
                             else column.asc().nulls_first())
    # Ties break on id, in the direction of the main sort, so pages never overlap.
    ident: Any = model.__table__.c.id  # type: ignore[attr-defined]
    stmt = stmt.order_by(ident.desc() if any(s.descending for s in sort) else ident.asc())
    if page.offset:
        stmt = stmt.offset(page.offset)
    if page.limit is not None:
        stmt = stmt.limit(page.limit)
    return stmt


# Built once (see `rows`): a tenant's counted invoices per status, a handful of rows.
_STATUS_COUNTS = select(InvoiceCount.status, InvoiceCount.invoices).where(
    col(InvoiceCount.tenant_id) == bindparam("tenant_id"))
_STATUS_TESTS: dict[str, Callable[[str, Any], bool]] = {
    "EQ": lambda status, value: status == value,
    "NE": lambda status, value: status != value,  # a status is never NULL
    "IN": lambda status, value: status in value,
}


def _status_test(flt: Filter) -> Callable[[str], bool] | None:
    """`flt` as a test of a status, if it is one the counts can answer (text values only: SQL
    compares text with other types by rules of its own)."""
    test = _STATUS_TESTS.get(flt.op.upper())
    values = flt.value if flt.op.upper() == "IN" else [flt.value]
    if flt.field != "status" or test is None or not all(isinstance(v, str) for v in values):
        return None
    value = set(values) if flt.op.upper() == "IN" else flt.value
    return lambda status: test(status, value)


def count_invoices(session: Session, tenant_id: int, filters: list[Filter]) -> int:
    """How many of the tenant's invoices match every filter. Filters on the status alone are
    answered from the counts the database keeps per status (`tables.InvoiceCount`), a read of
    a few rows whatever the tenant's size; any other filter counts the matching rows."""
    tests = [_status_test(f) for f in filters]
    if any(t is None for t in tests):
        conditions = invoice_scope(tenant_id) + [_condition(Invoice, f) for f in filters]
        return int(session.exec(select(func.count()).select_from(Invoice)
                                .where(*conditions)).one())
    counted = sql(session).execute(_STATUS_COUNTS, {"tenant_id": tenant_id}).all()
    return sum(n for status, n in counted if all(t(status) for t in tests if t is not None))


def invoice_scope(tenant_id: int) -> list[ColumnElement[bool]]:
    return [_INVOICES.c.tenant_id == tenant_id]


def payment_scope(tenant_id: int, invoice_id: int | None = None) -> list[ColumnElement[bool]]:
    scope = [col(Payment.tenant_id) == tenant_id]
    if invoice_id is not None:
        scope.append(col(Payment.invoice_id) == invoice_id)
    return scope
