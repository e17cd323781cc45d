"""A tenant's customer vault (Maast): invoices name customers that must exist or be saved."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Executable, bindparam, insert, update
from sqlmodel import Session, col, select

from .db import Tx, sql
from .tables import Customer

_T = Customer.__table__  # type: ignore[attr-defined]

# Statements are built once: a statement object keeps its cache key, which is a good part of
# what a small statement costs to run through SQLAlchemy.
_KNOWN = select(_T.c.id).where(_T.c.tenant_id == bindparam("tenant_id"),
                               _T.c.ref == bindparam("ref")).limit(1)
_REPLACE = update(_T).where(_T.c.tenant_id == bindparam("b_tenant_id"),
                           _T.c.ref == bindparam("b_ref"))
_INSERT = insert(_T)
_UPSERTS: dict[str, Executable | None] = {}


def _upsert(dialect: str) -> Executable | None:
    """Insert, or on a (tenant, ref) conflict replace the details, as one statement in the
    dialects that have one (None elsewhere). Each dialect's module is imported on first use:
    PostgreSQL's would add to start-up."""
    if dialect not in _UPSERTS:
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        elif dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
        else:
            _UPSERTS[dialect] = None
            return None
        stmt = insert(_T)
        _UPSERTS[dialect] = stmt.on_conflict_do_update(
            index_elements=[_T.c.tenant_id, _T.c.ref], set_={"attrs": stmt.excluded.attrs})
    return _UPSERTS[dialect]


def find(session: Session, tenant_id: int, ref: str) -> Customer | None:
    return session.exec(
        select(Customer).where(col(Customer.tenant_id) == tenant_id, col(Customer.ref) == ref)
    ).first()


def known(tx: Tx, tenant_id: int, ref: str) -> bool:
    """Whether the tenant's vault holds `ref` (without loading the customer)."""
    found = sql(tx).execute(_KNOWN, {"tenant_id": tenant_id, "ref": ref}).first()
    return found is not None


def save(tx: Tx, tenant_id: int, ref: str, attrs: dict[str, Any], now: datetime) -> None:
    """Create the customer, or replace its details if it exists."""
    conn = sql(tx)  # after a flush: a tenant added in this transaction goes first
    params = {"tenant_id": tenant_id, "ref": ref, "attrs": dict(attrs), "created_at": now}
    upsert = _upsert(conn.dialect.name)
    if upsert is not None:
        conn.execute(upsert, params)
        return
    # No upsert in this dialect: replace, else insert (the unique (tenant, ref) constraint
    # refuses a concurrent duplicate).
    replaced = conn.execute(_REPLACE, {"b_tenant_id": tenant_id, "b_ref": ref,
                                       "attrs": params["attrs"]})
    if replaced.rowcount == 0:
        conn.execute(_INSERT, params)
