"""Statements on every request's path, run straight on the database driver.

SQLAlchemy's execution layer costs several times what a one-row statement costs the database
itself. A `Prepared` statement is built with SQLAlchemy (so it is written once, portably) and
compiled once for the engine's dialect, with its parameters converted by the column types' own
processors; each run then is one DB-API `execute`. `Driver` runs them as transactions of their
own; `run` runs them inside a transaction that SQLAlchemy opened, on its connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.selectable import Select

from .db import Database

Processor = Callable[[Any], Any] | None


class Prepared:
    def __init__(self, db: Database | Dialect, statement: ClauseElement) -> None:
        dialect = db.engine.dialect if isinstance(db, Database) else db
        compiled: Any = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self._positions = list(compiled.positiontup or []) if compiled.positional else None
        # The dialect's own variant of each type (e.g. SQLite's datetime-as-text) converts.
        self._binds: dict[str, tuple[Any, Processor]] = {
            name: (bind.value, bind.type.dialect_impl(dialect).bind_processor(dialect))
            for name, bind in compiled.binds.items()
        }
        returned = (statement.selected_columns if isinstance(statement, Select)
                    else getattr(statement, "_returning", ()))
        self._results: list[Processor] = [
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in returned]

    def params(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        converted = {}
        for name, (default, process) in self._binds.items():
            value = values.get(name, default)
            converted[name] = process(value) if process is not None else value
        if self._positions is None:
            return converted
        return tuple(converted[name] for name in self._positions)

    def row(self, raw: Sequence[Any] | None) -> tuple[Any, ...] | None:
        if raw is None:
            return None
        return tuple(p(v) if p is not None else v for p, v in zip(self._results, raw, strict=True))


class Statement:
    """A statement compiled once for each dialect it meets."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_dialect: dict[str, Prepared] = {}

    def on(self, dialect: Dialect) -> Prepared:
        prepared = self._by_dialect.get(dialect.name)
        if prepared is None:
            prepared = self._by_dialect[dialect.name] = Prepared(dialect, self.statement)
        return prepared


def run(conn: Connection, statement: Statement, values: Mapping[str, Any]) -> Any:
    """`statement` in the transaction `conn` has open, on its driver connection; returns the
    DB-API cursor (read its rows through `Prepared.row`)."""
    prepared = statement.on(conn.dialect)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(prepared.sql, prepared.params(values))
    return cursor


def fetch_one(conn: Connection, statement: Statement, values: Mapping[str, Any]
              ) -> tuple[Any, ...] | None:
    """The first row `statement` gives in `conn`'s transaction, converted by its column types."""
    return statement.on(conn.dialect).row(run(conn, statement, values).fetchone())


class Driver:
    """Prepared statements on a DB-API connection, each its own transaction.

    A SQLite file gets one connection per thread, kept open (set up as the engine sets up its
    own); PostgreSQL keeps one for the event loop's thread, in autocommit mode (one round trip
    per statement), and other threads borrow one from the engine's pool for each statement; an
    in-memory database shares its one connection.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._local = threading.local()
        self._shared: Any = None
        self._loop_conn: Any = None  # PostgreSQL, the event loop's thread

    @contextmanager
    def _connection(self) -> Iterator[tuple[Any, bool]]:
        """(a DB-API connection, whether it runs in autocommit mode)."""
        serial = self.db._serial
        if serial is not None:
            # An in-memory database is one connection. It is kept checked out: handing it back
            # would roll back whatever transaction the request has open on it.
            with serial:
                if self._shared is None:
                    self._shared = self.db.engine.raw_connection()
                yield self._shared.driver_connection, True
            return
        if self.db.is_sqlite:
            conn: Any = getattr(self._local, "conn", None)
            if conn is None:
                fairy = self.db.engine.raw_connection()
                conn = self._local.conn = fairy.driver_connection
                fairy.detach()  # this thread's from now on; the pool lends another to others
            yield conn, True  # SQLite connections here run in autocommit mode
            return
        if self.db.on_loop_thread():
            if self._loop_conn is None:
                fairy = self.db.engine.raw_connection()
                conn = fairy.driver_connection
                fairy.detach()  # the loop's from now on
                conn.autocommit = True
                self.db.keep(conn)
                self._loop_conn = conn
            yield self._loop_conn, True
            return
        fairy = self.db.engine.raw_connection()
        try:
            yield fairy.driver_connection, False
        finally:
            fairy.close()

    def fetch_one(self, prepared: Prepared, **values: Any) -> tuple[Any, ...] | None:
        with self._connection() as (conn, autocommit):
            cursor = conn.cursor()
            cursor.execute(prepared.sql, prepared.params(values))
            row = cursor.fetchone()
            if not autocommit:
                conn.rollback()  # end the driver's implicit transaction
            return prepared.row(row)

    def execute_many(self, prepared: Prepared, rows: Sequence[Mapping[str, Any]]) -> None:
        """One statement over many parameter sets, all in one transaction."""
        with self._connection() as (conn, autocommit):
            cursor = conn.cursor()
            if autocommit:
                cursor.execute("BEGIN")
            try:
                cursor.executemany(prepared.sql, [prepared.params(r) for r in rows])
            except BaseException:
                if autocommit:
                    cursor.execute("ROLLBACK")
                else:
                    conn.rollback()
                raise
            if autocommit:
                cursor.execute("COMMIT")
            else:
                conn.commit()

    def execute(self, prepared: Prepared, **values: Any) -> int:
        """One statement as a transaction of its own; returns the row count."""
        with self._connection() as (conn, autocommit):
            cursor = conn.cursor()
            cursor.execute(prepared.sql, prepared.params(values))
            if not autocommit:
                conn.commit()
            return int(cursor.rowcount)
