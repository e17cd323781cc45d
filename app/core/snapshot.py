"""Snapshots: the whole state (or one provider's, or one tenant's) as one versioned JSON document,
and its exact restore, ids included.

Generic over every table registered on `SQLModel.metadata`, in dependency order, so a table
added later travels without a change here. Binary columns are base64, dates and datetimes
ISO-8601 at full precision, decimals strings; everything else is already JSON. A restore is one
transaction: the old rows go, the document's rows come in, and the reset hooks run in that same
transaction, so every service (and every process, through what those hooks bump) drops what it
cached of the old state.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Table,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from .. import __version__
from .db import sql
from .sandbox import Sandbox
from .tables import Tenant

FORMAT = "invoice-sandbox-snapshot"
VERSION = 1
# Tables whose rows describe this deployment rather than the sandbox's state. None today; a
# table can also leave itself out with `info={"snapshot": False}` in its table arguments (a
# counter that caches compare against must only ever grow, so it must not be restored to an
# older value).
LEFT_OUT: frozenset[str] = frozenset()


class SnapshotError(ValueError):
    """A document this sandbox cannot restore; `code` is the control plane's error code."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class Scope:
    provider: str | None = None
    tenant: str | None = None

    @property
    def whole(self) -> bool:
        return self.provider is None and self.tenant is None

    def admits(self, provider: str, key: str) -> bool:
        return ((self.provider is None or provider == self.provider)
                and (self.tenant is None or key == self.tenant))


def travelling_tables() -> list[Table]:
    return [t for t in SQLModel.metadata.sorted_tables
            if t.name not in LEFT_OUT and t.info.get("snapshot", True) is not False]


# --- which rows belong to a scope ---------------------------------------------------------------

def _conditions(tables: list[Table], scope: Scope) -> dict[str, ColumnElement[bool] | None]:
    """Per table, the rows inside the scope: the tenants it names, then every row that points
    at a row inside it (through any chain of foreign keys). A table no chain reaches holds
    sandbox-wide rows and is not part of a narrowed scope (it maps to None)."""
    tenants: Table = Tenant.__table__  # type: ignore[attr-defined]
    found: dict[str, ColumnElement[bool] | None] = {}
    for table in tables:  # dependency order: parents come first
        if table.name == tenants.name:
            found[table.name] = _tenant_condition(tenants, scope)
            continue
        links = []
        for key in table.foreign_keys:
            parent = key.column.table
            condition = found.get(parent.name)
            if parent is table or condition is None:
                continue
            links.append(key.parent.in_(select(key.column).where(condition).scalar_subquery()))
        found[table.name] = or_(*links) if links else None
    return found


def _tenant_condition(tenants: Table, scope: Scope) -> ColumnElement[bool]:
    clauses = []
    if scope.provider is not None:
        clauses.append(tenants.c["provider"] == scope.provider)
    if scope.tenant is not None:
        clauses.append(tenants.c["key"] == scope.tenant)
    return and_(true(), *clauses)


# --- values in and out of JSON ------------------------------------------------------------------

def _python_type(column: Column[Any]) -> type | None:
    kind = column.type
    while isinstance(kind, TypeDecorator):  # what it stores says how it travels
        kind = kind.impl_instance
    try:
        return kind.python_type
    except NotImplementedError:
        return None


Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]
_CODECS: dict[type, Codec] = {
    bytes: (lambda v: base64.b64encode(v).decode("ascii"),
            lambda v: base64.b64decode(v, validate=True)),
    datetime: (datetime.isoformat, datetime.fromisoformat),
    date: (date.isoformat, date.fromisoformat),
    Decimal: (str, Decimal),
}


def _codec(column: Column[Any]) -> Codec | None:
    kind = _python_type(column)
    # datetime before date: a datetime is a date too.
    for python_type in (datetime, date, bytes, Decimal):
        if kind is not None and issubclass(kind, python_type):
            return _CODECS[python_type]
    return None


# --- export -------------------------------------------------------------------------------------

def export(conn: Connection, scope: Scope) -> dict[str, Any]:
    """Every travelling table's rows inside `scope`, ordered by primary key."""
    tables = travelling_tables()
    conditions = _conditions(tables, scope)
    out: dict[str, Any] = {}
    for table in tables:
        condition = conditions[table.name]
        if condition is None and not scope.whole:
            continue
        stmt = select(table).order_by(*table.primary_key.columns)
        if condition is not None and not scope.whole:
            stmt = stmt.where(condition)
        codecs = [_codec(c) for c in table.columns]
        rows = [[value if value is None or codec is None else codec[0](value)
                 for value, codec in zip(row, codecs, strict=True)]
                for row in conn.execute(stmt)]
        out[str(table.name)] = {"columns": [str(c.name) for c in table.columns], "rows": rows}
    return out


def document(sandbox: Sandbox, scope: Scope) -> dict[str, Any]:
    with sandbox.db.read_sql() as conn:
        tables = export(conn, scope)
    clock = sandbox.clock
    return {
        "format": FORMAT,
        "version": VERSION,
        "sandbox_version": __version__,
        "scope": {"provider": scope.provider, "tenant": scope.tenant},
        # A narrowed snapshot leaves the sandbox-wide clock alone when it is restored.
        "clock": {"now": clock.now().isoformat(), "frozen": clock.frozen} if scope.whole else None,
        "tables": tables,
    }


# --- restore ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Parsed:
    scope: Scope
    clock: tuple[datetime, bool] | None
    rows: dict[str, list[dict[str, Any]]]


def _check_header(doc: Mapping[str, Any]) -> None:
    if doc.get("format") != FORMAT:
        raise SnapshotError("invalid_snapshot", f"not an invoice-sandbox snapshot (format must be "
                                                f"{FORMAT!r})")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise SnapshotError("invalid_snapshot", "the snapshot has no version number")
    if version < VERSION:
        raise SnapshotError("snapshot_version",
                            f"snapshot format version {version} is older than this sandbox reads "
                            f"({VERSION}); export it again from a sandbox of this version")
    if version > VERSION:
        raise SnapshotError("snapshot_version",
                            f"snapshot format version {version} is newer than this sandbox reads "
                            f"({VERSION}); upgrade invoice-sandbox to restore it")


def _optional_text(value: Any, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise SnapshotError("invalid_snapshot", f"{name} must be a string or null")
    return value


def parse(doc: Any) -> Parsed:
    """The document checked against this sandbox's tables, or SnapshotError saying why not."""
    if not isinstance(doc, dict):
        raise SnapshotError("invalid_snapshot", "a snapshot is a JSON object")
    _check_header(doc)
    raw_scope = doc.get("scope") or {}
    if not isinstance(raw_scope, dict):
        raise SnapshotError("invalid_snapshot", "scope must be an object")
    scope = Scope(_optional_text(raw_scope.get("provider"), "scope.provider"),
                  _optional_text(raw_scope.get("tenant"), "scope.tenant"))
    tables = doc.get("tables")
    if not isinstance(tables, dict):
        raise SnapshotError("invalid_snapshot", "tables must be an object")
    known = {t.name: t for t in travelling_tables()}
    unknown = sorted(set(tables) - set(known))
    if unknown:
        raise SnapshotError("snapshot_schema", f"this sandbox has no tables {unknown}: the "
                                               "snapshot comes from another version")
    rows = {name: _rows(known[name], body) for name, body in tables.items()}
    _check_tenants(rows.get(Tenant.__tablename__, []), scope)
    return Parsed(scope, _clock(doc.get("clock")) if scope.whole else None, rows)


def _rows(table: Table, body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("columns"), list) \
            or not isinstance(body.get("rows"), list):
        raise SnapshotError("invalid_snapshot", f"{table.name}: needs columns and rows lists")
    names: list[Any] = body["columns"]
    unknown = sorted(str(n) for n in names if n not in table.columns)
    if unknown:
        raise SnapshotError("snapshot_schema", f"{table.name}: this sandbox has no columns "
                                               f"{unknown}: the snapshot comes from another "
                                               "version")
    codecs = [_codec(table.columns[name]) for name in names]
    out = []
    for index, row in enumerate(body["rows"]):
        if not isinstance(row, list) or len(row) != len(names):
            raise SnapshotError("invalid_snapshot", f"{table.name}: row {index} does not have "
                                                    f"{len(names)} values")
        try:
            out.append({name: value if value is None or codec is None else codec[1](value)
                        for name, value, codec in zip(names, row, codecs, strict=True)})
        except (ValueError, TypeError, InvalidOperation, binascii.Error) as exc:
            raise SnapshotError("invalid_snapshot",
                                f"{table.name}: row {index} has a malformed value: {exc}") from None
    return out


def _check_tenants(tenants: list[dict[str, Any]], scope: Scope) -> None:
    for row in tenants:
        if not scope.admits(str(row.get("provider")), str(row.get("key"))):
            raise SnapshotError("invalid_snapshot", f"tenant {row.get('key')!r} of "
                                                    f"{row.get('provider')!r} is outside the "
                                                    "snapshot's scope")


def _clock(raw: Any) -> tuple[datetime, bool] | None:
    if raw is None:
        return None
    try:
        instant = datetime.fromisoformat(str(raw["now"]).replace("Z", "+00:00"))
        frozen = raw["frozen"]
    except (TypeError, KeyError, ValueError):
        raise SnapshotError("invalid_snapshot", "clock must be {now: ISO-8601, frozen: bool}") \
            from None
    if not isinstance(frozen, bool) or instant.tzinfo is None:
        raise SnapshotError("invalid_snapshot", "clock must be {now: ISO-8601, frozen: bool}")
    return instant, frozen


def replace_rows(conn: Connection, parsed: Parsed) -> dict[str, int]:
    """Delete the scope's rows and insert the document's, in the caller's transaction."""
    tables = travelling_tables()
    conditions = _conditions(tables, parsed.scope)
    for table in reversed(tables):  # children before their parents
        condition = conditions[table.name]
        if parsed.scope.whole:
            conn.execute(delete(table))
        elif condition is not None:
            conn.execute(delete(table).where(condition))
    counts: dict[str, int] = {}
    for table in tables:
        rows = parsed.rows.get(table.name)
        if not rows:
            continue
        try:
            conn.execute(insert(table), rows)
        except (DBAPIError, StatementError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise SnapshotError("snapshot_conflict", f"{table.name}: the snapshot's rows do not "
                                                     f"fit this database: {reason}", 409) from None
        counts[str(table.name)] = len(rows)
    _reset_sequences(conn, tables)
    return counts


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """Rows came in with explicit ids: on PostgreSQL, move each id sequence past them (SQLite
    takes the next id from the largest one by itself)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        key = table.autoincrement_column
        if key is None:
            continue
        largest = conn.execute(select(func.max(key))).scalar()
        conn.execute(text("SELECT setval(pg_get_serial_sequence(:table, :column), :value, :used)"),
                     {"table": table.fullname, "column": key.name, "value": largest or 1,
                      "used": largest is not None})


def restore(sandbox: Sandbox, doc: Any) -> dict[str, Any]:
    """Replace the state with the document's, all or nothing; returns what was restored."""
    parsed = parse(doc)
    only_provider, only_tenant = parsed.scope.provider, parsed.scope.tenant
    with sandbox.db.write() as session:
        # What a reset announces (journal, fault rules, throttles, generation) holds for a
        # restore too: the state those services describe is gone. Announced first, so rows a
        # handler clears or writes in travelling tables give way to the document's.
        sandbox.hooks.emit("reset", "sandbox", session, only_provider=only_provider,
                           only_tenant=only_tenant)
        counts = replace_rows(sql(session), parsed)
    sandbox.tenants.forget()
    if parsed.clock is not None:
        instant, frozen = parsed.clock
        sandbox.clock.change(instant=instant, freeze=frozen)
    sandbox.wake_deliveries()
    return {"status": "ok", "scope": {"provider": only_provider, "tenant": only_tenant},
            "rows": counts}
