"""Storage: the engine, SQLite pragmas and the transaction discipline, in one place.

Write transactions start with `BEGIN IMMEDIATE` on SQLite (take the write lock before the first
read) and lock the invoice row with `FOR UPDATE` elsewhere, so a read-check-write rule such as
"never overpay" cannot interleave with another request, in this process or another.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine

from . import background_tables, tables  # noqa: F401  (register their tables on the metadata)

# A transaction: an ORM session from `Database.write()`/`read()`, or a connection from
# `write_sql()`/`read_sql()`. Functions running only SQL statements take either.
Tx = Session | Connection


def sql(tx: Tx) -> Connection:
    """The transaction's connection, for SQL statements. Pending ORM changes are flushed
    first, so the statements see them."""
    if isinstance(tx, Session):
        tx.flush()
        return tx.connection()
    return tx


def in_write_transaction(conn: Connection) -> bool:
    """Whether `conn` belongs to a `Database.write()`/`write_sql()` transaction."""
    return bool(conn.get_execution_options().get("sandbox_write", False))


class DatabaseUnavailable(RuntimeError):
    """The database path cannot be opened or written."""


def _url_for(db: str) -> str:
    if "://" in db:
        return db
    if db == ":memory:":
        return "sqlite://"
    return f"sqlite:///{db}"


class Database:
    def __init__(self, db: str) -> None:
        self.location = db
        self.url = _url_for(db)
        self.is_sqlite = self.url.startswith("sqlite")
        self.in_memory = self.url == "sqlite://"
        if self.is_sqlite and not self.in_memory:
            self._check_path(Path(self.url.removeprefix("sqlite:///")))
        self.engine = self._make_engine()
        # The write engine's connections begin with BEGIN IMMEDIATE (see `_on_begin`). Made
        # once here: Connection.execution_options per transaction costs more.
        self._engines = {False: self.engine,
                         True: self.engine.execution_options(sandbox_write=True)}
        # One shared connection serves an in-memory database, so transactions must not overlap.
        self._serial: threading.RLock | None = threading.RLock() if self.in_memory else None
        try:
            SQLModel.metadata.create_all(self.engine)
        except Exception as exc:  # sqlite3.OperationalError and friends, surfaced as one reason
            raise DatabaseUnavailable(f"cannot initialise database {db!r}: {exc}") from exc

    @staticmethod
    def _check_path(path: Path) -> None:
        parent = path.expanduser().resolve().parent
        if not parent.is_dir():
            raise DatabaseUnavailable(f"directory {str(parent)!r} does not exist")
        if path.exists() and path.is_dir():
            raise DatabaseUnavailable(f"{str(path)!r} is a directory")
        try:
            conn = sqlite3.connect(path)
            conn.execute("PRAGMA schema_version").fetchone()
            conn.close()
        except sqlite3.Error as exc:
            raise DatabaseUnavailable(f"cannot open {str(path)!r}: {exc}") from exc

    def _make_engine(self) -> Engine:
        if not self.is_sqlite:
            return create_engine(self.url, pool_pre_ping=True)
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if self.in_memory:
            kwargs["poolclass"] = StaticPool
        engine = create_engine(self.url, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
            # Let us issue BEGIN ourselves instead of pysqlite's implicit, deferred one.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if not self.in_memory:
                cur.execute("PRAGMA journal_mode=WAL")
                # NORMAL in WAL mode: a commit is in the OS before we answer, so it survives
                # a killed process; only a power cut can lose the last transactions.
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            immediate = in_write_transaction(conn)
            # Straight to the driver: this runs once per request, and exec_driver_sql would
            # cost more than the statement itself.
            conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                "BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @contextmanager
    def _session(self, write: bool) -> Iterator[Session]:
        guard = self._serial if self._serial is not None else nullcontext()
        with (guard, self._engines[write].connect() as conn,
              Session(bind=conn, expire_on_commit=False) as session):
            try:
                yield session
                if write:
                    session.commit()
                # A read ends with the connection's rollback; rolling back the session
                # would expire the rows the caller is about to render.
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def _sql(self, write: bool) -> Iterator[Connection]:
        guard = self._serial if self._serial is not None else nullcontext()
        with guard, self._engines[write].connect() as conn:
            conn.begin()
            try:
                yield conn
                if write:
                    conn.commit()
                # A read ends with the connection's rollback when it closes.
            except BaseException:
                conn.rollback()
                raise

    def write(self) -> AbstractContextManager[Session]:
        """A transaction that holds the write lock from its start and commits on success."""
        return self._session(write=True)

    def read(self) -> AbstractContextManager[Session]:
        """A consistent snapshot for reads; nothing it does is kept."""
        return self._session(write=False)

    def write_sql(self) -> AbstractContextManager[Connection]:
        """`write()` without an ORM session, for commands made of SQL statements only (see
        `app.core.rows`): an ORM session costs about as much as one such statement."""
        return self._sql(write=True)

    def read_sql(self) -> AbstractContextManager[Connection]:
        """`read()` without an ORM session."""
        return self._sql(write=False)

    def dispose(self) -> None:
        self.engine.dispose()
