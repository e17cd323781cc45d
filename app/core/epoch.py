"""The reset epoch: one number, advanced by every reset in the reset's own transaction.

Background work (outbox deliveries, jobs) records the epoch it was created in and is claimed only
while that epoch is current, so work promised before a reset is never applied to the state the
reset made. The table (`background_tables.SandboxEpoch`) holds one row; a database without it is at
epoch 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import false, func, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from .background_tables import EPOCH_ROW_ID as ROW_ID
from .background_tables import SandboxEpoch
from .db import Database, Tx, sql

_table = SandboxEpoch.__table__  # type: ignore[attr-defined]


def current_expr() -> ColumnElement[int]:
    """The current epoch as a scalar subquery, for claims made in one statement."""
    return func.coalesce(
        select(_table.c.value).where(_table.c.id == ROW_ID).scalar_subquery(), 0)


def current(tx: Tx) -> int:
    # Not `sql(tx)`: that flushes, and this is read in the middle of other commands (enqueue).
    conn = tx.connection() if isinstance(tx, Session) else tx
    return int(conn.execute(select(current_expr())).scalar_one())


def ensure(db: Database) -> None:
    """Make the row, so that concurrent first resets only ever update it."""
    try:
        with db.write_sql() as conn:
            if conn.execute(select(_table.c.id).where(_table.c.id == ROW_ID)).first() is None:
                conn.execute(_table.insert().values(id=ROW_ID, value=0))
    except IntegrityError:  # another process made it first
        pass


def advance(tx: Tx) -> int:
    """Start a new epoch (inside the caller's write transaction); returns its number."""
    conn = sql(tx)
    changed = conn.execute(update(_table).where(_table.c.id == ROW_ID)
                           .values(value=_table.c.value + 1))
    if changed.rowcount == 0:
        conn.execute(_table.insert().values(id=ROW_ID, value=1))
    return current(conn)


def carried_over(column: Any, tenant_ids: Sequence[int] | None) -> tuple[ColumnElement[bool],
                                                                       ColumnElement[bool]]:
    """For a reset of `tenant_ids` (None: everything), over queued work whose tenant is
    `column`: (the rows the reset wipes, the rows that move on to the new epoch)."""
    if tenant_ids is None:
        affected: ColumnElement[bool] = true()
    elif tenant_ids:
        affected = column.in_(list(tenant_ids))
    else:
        affected = false()
    return affected, ~func.coalesce(affected, false())
