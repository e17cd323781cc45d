"""Storage: the engine, SQLite pragmas and the transaction discipline, in one place.

Two engines: SQLite (a file or `:memory:`) and PostgreSQL (`postgresql://...`, through
psycopg 3). Write transactions take the database's write lock before their first read: on SQLite
`BEGIN IMMEDIATE`, on PostgreSQL a transaction-scoped advisory lock, the same lock for every
writer. Every read-check-write rule ("never overpay", "one tenant per key", "an invoice number
once") thus sees the latest committed state and cannot interleave with another writer, in this
process or another, on both engines alike. Writes here are short (a request does one or two), so
one writer at a time costs little; reads never wait for it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

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


def on_event_loop() -> bool:
    """Whether this thread runs an event loop (where the provider requests are served)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened, reached or used by this version; the message is one line."""


# Any constant works: an advisory lock key is scoped to its database.
_WRITE_LOCK = "SELECT pg_advisory_xact_lock(7361626478)"
# Connections per process: requests run one at a time on the event loop; the rest serve the
# delivery worker and the checkout pages. Replicas multiply it, within PostgreSQL's default 100.
POOL_SIZE = 5
POOL_OVERFLOW = 10


def _url_for(db: str) -> str:
    for scheme in ("postgresql://", "postgres://", "postgresql+psycopg://"):
        if db.startswith(scheme):
            return "postgresql+psycopg://" + db.removeprefix(scheme)
    if "://" in db:
        if db.startswith("sqlite:"):
            return db
        raise DatabaseUnavailable(f"unsupported database URL {_shown(db)!r}: use a SQLite "
                                  "file, ':memory:' or postgresql://user@host:port/dbname")
    if db == ":memory:":
        return "sqlite://"
    return f"sqlite:///{db}"


def _shown(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even a URL: show only its scheme
        return url.split("://", 1)[0] + "://..."


def one_line(exc: BaseException) -> str:
    """A driver's error as one line (psycopg's span several)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig  # without SQLAlchemy's statement and link
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


class Database:
    def __init__(self, db: str, *, migrate: bool = True) -> None:
        """Open `db`; with `migrate`, create or upgrade its schema (see `core.schema`)."""
        self.location = db
        self.url = _url_for(db)
        self.is_sqlite = self.url.startswith("sqlite")
        self.in_memory = self.url == "sqlite://"
        if self.is_sqlite and not self.in_memory:
            self._check_path(Path(self.url.removeprefix("sqlite:///")))
        self.shown = db if self.is_sqlite else _shown(db)
        self.engine = self._make_engine()
        # The write engine's connections begin with the write lock (see `_on_begin`). Made
        # once here: Connection.execution_options per transaction costs more.
        reads = self.engine
        if not self.is_sqlite:
            # A read of several statements (a page and its total) sees one snapshot, as a
            # SQLite transaction does; psycopg opens it in the BEGIN, without a round trip.
            reads = self.engine.execution_options(isolation_level="REPEATABLE READ")
        self._engines = {False: reads,
                         True: self.engine.execution_options(sandbox_write=True)}
        # One shared connection serves an in-memory database, so transactions must not overlap.
        self._serial: threading.RLock | None = threading.RLock() if self.in_memory else None
        # The event loop's thread keeps a connection per engine between transactions (see
        # `_connection`); the first thread that asks from a running loop is taken for it.
        self._loop_thread: int | None = None
        self._kept: dict[str, Any] = {}
        self._all_kept: list[Any] = []  # closed by `dispose`, with driver connections (`keep`)
        self._kept_lock = threading.Lock()
        if migrate:
            from .schema import upgrade

            upgrade(self)

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
            return self._postgresql_engine()
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
            # Some builds (Debian's) zero every freed page: a reset of 100k invoices would
            # then write the whole database to the WAL. Sandbox data needs no shredding.
            cur.execute("PRAGMA secure_delete=OFF")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            immediate = in_write_transaction(conn)
            # Straight to the driver: this runs once per request, and exec_driver_sql would
            # cost more than the statement itself.
            conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                "BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    def _postgresql_engine(self) -> Engine:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise DatabaseUnavailable(
                "the PostgreSQL driver is not installed: pip install 'psycopg[binary]'"
            ) from None
        # No pre-ping: it is a round trip per request. A connection the server dropped fails
        # one request and is replaced.
        engine = create_engine(self.url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                               pool_recycle=3600, connect_args={"connect_timeout": 10})

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            if in_write_transaction(conn):
                # Straight to the driver (see the SQLite twin): psycopg opens the transaction
                # with it, and the lock is held until commit or rollback.
                conn.connection.driver_connection.execute(_WRITE_LOCK)  # type: ignore[union-attr]

        return engine

    def on_loop_thread(self) -> bool:
        """Whether this is the thread that serves the provider requests (an event loop's:
        the first one that asks, as one process runs one loop)."""
        ident = threading.get_ident()
        if self._loop_thread is None and on_event_loop():
            with self._kept_lock:
                if self._loop_thread is None:
                    self._loop_thread = ident
        return ident == self._loop_thread

    @contextmanager
    def _connection(self, write: bool) -> Iterator[Connection]:
        """A connection for one transaction. The event loop's thread, where the provider
        requests run, keeps one per engine between its transactions: a checkout from the pool
        and back cost about what a one-row statement costs. One that is busy (a transaction
        inside another) or broken is not reused; other threads (the sync routes', the journal
        writer's) check one out for each transaction."""
        if self._serial is not None:
            with self._serial, self._engines[write].connect() as shared:
                yield shared
            return
        key = "write" if write else "read"
        if not self.on_loop_thread() or self._kept.get(key + " busy"):
            with self._engines[write].connect() as lent:
                yield lent
            return
        conn: Connection | None = self._kept.get(key)
        if conn is None or conn.closed or conn.invalidated:
            conn = self._kept[key] = self._engines[write].connect()
            self.keep(conn)
        self._kept[key + " busy"] = True
        try:
            yield conn
        finally:
            self._kept[key + " busy"] = False

    @contextmanager
    def _session(self, write: bool, keys_at_commit: bool = False) -> Iterator[Session]:
        with (self._connection(write) as conn,
              Session(bind=conn, expire_on_commit=False) as session):
            unchecked = keys_at_commit and self.is_sqlite
            if unchecked:  # before the transaction begins: SQLite ignores it inside one
                conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                    "PRAGMA foreign_keys=OFF")
            try:
                yield session
                if unchecked:
                    _check_foreign_keys(session)
                if write:
                    session.commit()
                else:
                    # A read keeps nothing; the rows the caller is about to render stay
                    # loaded (rolling back the session would expire them).
                    conn.rollback()
            except BaseException:
                session.rollback()
                raise
            finally:
                if unchecked:
                    try:
                        conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                            "PRAGMA foreign_keys=ON")
                    except Exception:
                        conn.invalidate()  # never back to the pool without its checks

    @contextmanager
    def _sql(self, write: bool) -> Iterator[Connection]:
        with self._connection(write) as conn:
            conn.begin()
            try:
                yield conn
                if write:
                    conn.commit()
                else:
                    conn.rollback()  # a read keeps nothing
            except BaseException:
                conn.rollback()
                raise

    def write(self, *, keys_at_commit: bool = False) -> AbstractContextManager[Session]:
        """A transaction that holds the write lock from its start and commits on success.

        `keys_at_commit`: foreign keys are checked once, before the commit, rather than on
        every statement (on SQLite; PostgreSQL checks as usual), so a reset's DELETE without
        WHERE empties a table at once instead of row by row. A violation rolls it all back."""
        return self._session(write=True, keys_at_commit=keys_at_commit)

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

    def keep(self, conn: Any) -> None:
        """A connection held outside the pool, to be closed by `dispose`."""
        with self._kept_lock:
            self._all_kept.append(conn)

    def dispose(self) -> None:
        with self._kept_lock:
            kept, self._all_kept = self._all_kept, []
        for conn in kept:
            with suppress(Exception):  # one already broken has nothing to hand back
                conn.close()
        self.engine.dispose()


def _check_foreign_keys(session: Session) -> None:
    """SQLite's check of every foreign key, for a transaction that ran without them."""
    broken = sql(session).exec_driver_sql("PRAGMA foreign_key_check").first()
    if broken is not None:
        raise IntegrityError("PRAGMA foreign_key_check", None,
                             ValueError(f"foreign key violated: {tuple(broken)}"))


def restart_ids(tx: Tx) -> None:
    """Let each table's next id follow its highest one, as SQLite's rowids do.

    After a reset SQLite numbers new rows from the highest id left (from 1 when a table is
    empty), so fixture invoices get the same ids after every reset; PostgreSQL's sequences
    only move forward unless told so. One statement for every table with a generated id.
    """
    conn = sql(tx)
    if conn.dialect.name != "postgresql":
        return
    from sqlmodel import SQLModel

    parts = []
    for table in SQLModel.metadata.sorted_tables:
        ident = table.autoincrement_column
        if ident is None:
            continue
        name, column = table.name, ident.name
        parts.append(f"setval(pg_get_serial_sequence('{name}', '{column}'), "
                     f"COALESCE((SELECT MAX({column}) FROM {name}), 0) + 1, false)")
    if parts:
        conn.exec_driver_sql("SELECT " + ", ".join(parts))
