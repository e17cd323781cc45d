"""The sandbox's own state, shared by every process on one database: one `sandbox_state` row.

It holds the clock (offset or frozen instant), the number of fault rules, and a generation
number bumped by every reset, tenant or credential change and fault-rule change. A request
reads the row once (`StateMiddleware`); within the request the clock, the caches' staleness
checks and the fault middleware's "any rules?" test cost nothing more. Outside a request
(start-up, background work) every read goes to the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from .db import Database, Tx, sql
from .fast import Driver, Prepared
from .tables import SandboxState, Tenant

_T = SandboxState.__table__  # type: ignore[attr-defined]
ROW = 1


@dataclass(frozen=True, slots=True)
class Snapshot:
    generation: int
    offset: timedelta
    frozen_at: datetime | None
    fault_rules: int


@dataclass(slots=True)
class RequestState:
    """What one request learnt: the state row (read at most once) and the credential strings
    its provider edge accepted (the journal redacts them)."""

    snapshot: Snapshot | None = None
    secrets: list[str] = field(default_factory=list)


_request: ContextVar[RequestState | None] = ContextVar("sandbox_request_state", default=None)

_COLUMNS = (_T.c.generation, _T.c.clock_offset_us, _T.c.clock_frozen_at, _T.c.fault_rules)
_READ = select(*_COLUMNS).where(_T.c.id == ROW)
_LOCK = _READ.with_for_update()


def _snapshot(row: Any) -> Snapshot:
    if row is None:
        return Snapshot(0, timedelta(0), None, 0)
    generation, offset_us, frozen_at, fault_rules = row
    return Snapshot(int(generation), timedelta(microseconds=int(offset_us)), frozen_at,
                    int(fault_rules))


class StateStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._driver = Driver(db)
        self._read = Prepared(db, _READ)  # read once per request: straight on the driver

    def ensure_row(self) -> None:
        """Create the row if the database has none (any process may race to it)."""
        try:
            with self.db.write_sql() as conn:
                if conn.execute(_READ).first() is None:
                    conn.execute(insert(_T).values(id=ROW, generation=0, clock_offset_us=0,
                                                   clock_frozen_at=None, fault_rules=0))
        except IntegrityError:
            pass

    def fetch(self) -> Snapshot:
        return _snapshot(self._driver.fetch_one(self._read))

    def current(self) -> Snapshot:
        """The row as this request first read it (or as changed by it), else fresh."""
        holder = _request.get()
        if holder is None:
            return self.fetch()
        if holder.snapshot is None:
            holder.snapshot = self.fetch()
        return holder.snapshot

    def lock(self, tx: Tx) -> Snapshot:
        """The row inside a write transaction, locked until it ends."""
        return _snapshot(sql(tx).execute(_LOCK).first())

    def change(self, tx: Tx, *, bump: bool = False, **values: Any) -> None:
        """Update the row in `tx`; the running request re-reads it when next asked."""
        if bump:
            values["generation"] = _T.c.generation + 1
        sql(tx).execute(update(_T).where(_T.c.id == ROW).values(**values))
        forget_snapshot()

    def bump(self, tx: Tx) -> None:
        self.change(tx, bump=True)


def forget_snapshot() -> None:
    holder = _request.get()
    if holder is not None:
        holder.snapshot = None


def offset_us(offset: timedelta) -> int:
    return (offset.days * 86_400 + offset.seconds) * 1_000_000 + offset.microseconds


# --- credentials a request used ----------------------------------------------------------------

def note_secret(value: str | None) -> None:
    """Remember a credential the provider edge accepted (or checked) for this request, so the
    journal can redact it however it was encoded."""
    holder = _request.get()
    if holder is not None and value:
        holder.secrets.append(value)


def request_secrets() -> list[str]:
    holder = _request.get()
    return list(holder.secrets) if holder is not None else []


@contextmanager
def request_scope() -> Iterator[RequestState]:
    holder = RequestState()
    token = _request.set(holder)
    try:
        yield holder
    finally:
        _request.reset(token)


class StateMiddleware:
    """Outermost layer: every request gets its own `RequestState`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with request_scope():
            await self.app(scope, receive, send)


# --- tenant changes bump the generation --------------------------------------------------------

@event.listens_for(Session, "before_flush")
def _tenants_changed(session: Session, _context: object, _instances: object) -> None:
    # Every process caches credential -> tenant; any change to a tenant row makes them stale.
    if any(isinstance(o, Tenant) for o in (*session.new, *session.dirty, *session.deleted)):
        session.connection().execute(
            update(_T).where(_T.c.id == ROW).values(generation=_T.c.generation + 1))
        forget_snapshot()
