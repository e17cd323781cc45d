"""Plain copies of invoice and payment rows, read and written with single SQL statements.

Loading a row through the ORM (identity map, instrumented instance) and writing it back
through the unit of work costs several times the SQL itself; on the busiest requests (an
invoice's detail, a new invoice, a new payment) that was most of the request. The rows here
are plain dataclasses with the tables' column names, so the lifecycle engine and renderers
read them like ORM instances; `app.core.invoices` owns the commands that change them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session

from . import fast
from .db import Tx, in_write_transaction, sql
from .errors import NotFound
from .tables import Invoice, Payment

INVOICES = Invoice.__table__  # type: ignore[attr-defined]
PAYMENTS = Payment.__table__  # type: ignore[attr-defined]


@dataclass(slots=True)
class InvoiceRow:
    """The `invoices` columns, in table order."""

    id: int
    tenant_id: int
    provider: str
    kind: str
    ref: str | None
    number: str | None
    customer_ref: str | None
    status: str
    currency: str
    total_minor: int
    paid_minor: int
    refunded_minor: int
    allow_partial: bool
    issue_date: date | None
    due_date: date | None
    expires_at: datetime | None
    checkout_token: str | None
    stamps: dict[str, str]
    attrs: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @property
    def balance_minor(self) -> int:
        return self.total_minor - self.paid_minor


@dataclass(slots=True)
class PaymentRow:
    """The `payments` columns, in table order."""

    id: int
    tenant_id: int
    invoice_id: int
    method: str
    amount_minor: int
    locked: bool
    paid_at: datetime
    attrs: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def _same_columns(table: Any, row_type: type) -> bool:
    return [c.name for c in table.columns] == [f.name for f in dataclasses.fields(row_type)]


assert _same_columns(INVOICES, InvoiceRow) and _same_columns(PAYMENTS, PaymentRow)


def _all_but_id(table: Any) -> dict[str, Any]:
    return {c.name: bindparam(c.name, type_=c.type) for c in table.columns if c.name != "id"}


# Each runs on the transaction's driver connection (see app.core.fast): these are the statements
# of the busiest requests, and SQLAlchemy's execution layer cost more than the statements.
_INVOICE_BY_ID = select(INVOICES).where(INVOICES.c.id == bindparam("id"))
_READ_INVOICE = fast.Statement(_INVOICE_BY_ID)
_READ_INVOICE_FOR_UPDATE = fast.Statement(_INVOICE_BY_ID.with_for_update())
_INSERT_INVOICE = fast.Statement(insert(INVOICES).values(_all_but_id(INVOICES))
                                 .returning(INVOICES.c.id))
_INSERT_PAYMENT = fast.Statement(insert(PAYMENTS).values(_all_but_id(PAYMENTS))
                                 .returning(PAYMENTS.c.id))
# Every column a command may change; the SET values come with each execution.
_MUTABLE = tuple(c.name for c in INVOICES.columns
                 if c.name not in ("id", "tenant_id", "provider", "created_at"))
_UPDATE_INVOICE = fast.Statement(
    update(INVOICES).where(INVOICES.c.id == bindparam("row_id"))
    .values({name: bindparam(name, type_=INVOICES.c[name].type) for name in _MUTABLE}))


def connection(tx: Tx, invoice_id: int | None = None) -> Connection:
    """The transaction's connection, for statements that bypass the ORM.

    A command must not write an invoice through SQL while an ORM session holds it as an
    instance: a later flush of that instance would overwrite the change.
    """
    if (invoice_id is not None and isinstance(tx, Session)
            and identity_key(Invoice, invoice_id) in tx.identity_map):
        raise RuntimeError(f"invoice {invoice_id} is loaded through the ORM in this session")
    return sql(tx)


def read_invoice(conn: Connection, tenant_id: int, invoice_id: int) -> InvoiceRow:
    """The tenant's invoice as stored (due timers not applied), or NotFound. In a write
    transaction the row stays locked until it ends (SQLite's BEGIN IMMEDIATE already locks
    everything; elsewhere this is SELECT ... FOR UPDATE)."""
    stmt = _READ_INVOICE_FOR_UPDATE if in_write_transaction(conn) else _READ_INVOICE
    found = fast.fetch_one(conn, stmt, {"id": invoice_id})
    if found is None or found[1] != tenant_id:  # (id, tenant_id, ...): table order
        raise NotFound("invoice", invoice_id)
    return InvoiceRow(*found)


def insert_invoice(conn: Connection, values: dict[str, Any]) -> InvoiceRow:
    """Insert a new invoice from every column but `id`; returns it with its id."""
    key = fast.fetch_one(conn, _INSERT_INVOICE, values)
    assert key is not None
    return InvoiceRow(id=key[0], **values)


def write_invoice(conn: Connection, row: InvoiceRow) -> None:
    """Store every changeable column of `row`."""
    params = {name: getattr(row, name) for name in _MUTABLE}
    params["row_id"] = row.id
    fast.run(conn, _UPDATE_INVOICE, params)


def insert_payment(conn: Connection, values: dict[str, Any]) -> PaymentRow:
    """Insert a new payment from every column but `id`; returns it with its id."""
    key = fast.fetch_one(conn, _INSERT_PAYMENT, values)
    assert key is not None
    return PaymentRow(id=key[0], **values)
