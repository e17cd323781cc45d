"""Statements on every request's path, run straight on the database driver.

SQLAlchemy's execution layer costs several times what a one-row statement costs the database
itself. A `Prepared` statement is built with SQLAlchemy (so it is written once, portably) and
compiled once for the engine's dialect, with its parameters converted by the column types' own
processors; each run then is one DB-API `execute`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.selectable import Select

from .db import Database

Processor = Callable[[Any], Any] | None


class Prepared:
    def __init__(self, db: Database, statement: ClauseElement) -> None:
        dialect = db.engine.dialect
        compiled: Any = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self._positions = list(compiled.positiontup or []) if compiled.positional else None
        # The dialect's own variant of each type (e.g. SQLite's datetime-as-text) converts.
        self._binds: dict[str, tuple[Any, Processor]] = {
            name: (bind.value, bind.type.dialect_impl(dialect).bind_processor(dialect))
            for name, bind in compiled.binds.items()
        }
        self._results: list[Processor] = (
            [c.type.dialect_impl(dialect).result_processor(dialect, None)
             for c in statement.selected_columns]
            if isinstance(statement, Select) else [])

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


class Driver:
    """A pooled DB-API connection for prepared statements: reads run as single statements;
    `write()` wraps several in one transaction, with SQLite's write lock taken first."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        serial = self.db._serial  # an in-memory database has one connection to share
        with serial if serial is not None else nullcontext():
            fairy = self.db.engine.raw_connection()
            try:
                yield fairy.driver_connection
            finally:
                fairy.close()

    def fetch_one(self, prepared: Prepared, **values: Any) -> tuple[Any, ...] | None:
        with self._connection() as conn:
            cursor = conn.cursor()
            cursor.execute(prepared.sql, prepared.params(values))
            row = cursor.fetchone()
            if not self.db.is_sqlite:
                conn.rollback()  # end the driver's implicit transaction
            return prepared.row(row)

    @contextmanager
    def write(self) -> Iterator[Callable[..., int]]:
        """`run(prepared, **values)` inside one write transaction; returns the row count."""
        with self._connection() as conn:
            cursor = conn.cursor()
            if self.db.is_sqlite:
                cursor.execute("BEGIN IMMEDIATE")

            def run(prepared: Prepared, **values: Any) -> int:
                cursor.execute(prepared.sql, prepared.params(values))
                return int(cursor.rowcount)

            try:
                yield run
            except BaseException:
                if self.db.is_sqlite:
                    cursor.execute("ROLLBACK")
                else:
                    conn.rollback()
                raise
            if self.db.is_sqlite:
                cursor.execute("COMMIT")
            else:
                conn.commit()
