"""A tenant's customer vault (Maast): invoices name customers that must exist or be saved."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.sql import Insert
from sqlmodel import Session, col, select

from . import fast
from .db import Tx, sql
from .tables import Customer

_T = Customer.__table__  # type: ignore[attr-defined]
# Every column but the id, as parameters: statements here run on the driver (see app.core.fast),
# so no column default is filled in for them.
_VALUES = {c.name: bindparam(c.name, type_=c.type) for c in _T.columns if c.name != "id"}

# Run on the driver: checking and saving the customer is part of every Maast create.
_KNOWN = fast.Statement(select(_T.c.id).where(_T.c.tenant_id == bindparam("tenant_id"),
                                              _T.c.ref == bindparam("ref")).limit(1))
_REPLACE = fast.Statement(update(_T).where(_T.c.tenant_id == bindparam("b_tenant_id"),
                                           _T.c.ref == bindparam("b_ref"))
                          .values(attrs=bindparam("attrs", type_=_T.c.attrs.type)))
_INSERT = fast.Statement(insert(_T).values(_VALUES))
_UPSERTS: dict[str, fast.Statement | None] = {}


def _upsert(dialect: str) -> fast.Statement | None:
    """Insert, or on a (tenant, ref) conflict replace the details, as one statement in the
    dialects that have one (None elsewhere). Each dialect's module is imported on first use:
    PostgreSQL's would add to start-up."""
    if dialect not in _UPSERTS:
        stmt: Insert
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert
            stmt = sqlite_insert(_T).values(_VALUES).on_conflict_do_update(
                index_elements=[_T.c.tenant_id, _T.c.ref],
                set_={"attrs": sqlite_insert(_T).excluded.attrs})
        elif dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert
            stmt = pg_insert(_T).values(_VALUES).on_conflict_do_update(
                index_elements=[_T.c.tenant_id, _T.c.ref],
                set_={"attrs": pg_insert(_T).excluded.attrs})
        else:
            _UPSERTS[dialect] = None
            return None
        _UPSERTS[dialect] = fast.Statement(stmt)
    return _UPSERTS[dialect]


def find(session: Session, tenant_id: int, ref: str) -> Customer | None:
    return session.exec(
        select(Customer).where(col(Customer.tenant_id) == tenant_id, col(Customer.ref) == ref)
    ).first()


def known(tx: Tx, tenant_id: int, ref: str) -> bool:
    """Whether the tenant's vault holds `ref` (without loading the customer)."""
    return fast.fetch_one(sql(tx), _KNOWN, {"tenant_id": tenant_id, "ref": ref}) is not None


def save(tx: Tx, tenant_id: int, ref: str, attrs: dict[str, Any], now: datetime) -> None:
    """Create the customer, or replace its details if it exists."""
    conn = sql(tx)  # after a flush: a tenant added in this transaction goes first
    params = {"tenant_id": tenant_id, "ref": ref, "attrs": dict(attrs), "created_at": now}
    upsert = _upsert(conn.dialect.name)
    if upsert is not None:
        fast.run(conn, upsert, params)
        return
    # No upsert in this dialect: replace, else insert (the unique (tenant, ref) constraint
    # refuses a concurrent duplicate).
    replaced = fast.run(conn, _REPLACE, {"b_tenant_id": tenant_id, "b_ref": ref,
                                         "attrs": params["attrs"]})
    if replaced.rowcount == 0:
        fast.run(conn, _INSERT, params)
