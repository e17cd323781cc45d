"""Seed data: `fixtures/<provider>.toml`, loaded at start and on reset.

The core only finds the files and wipes state; each provider's loader turns its document into
core commands, so seeded invoices obey the same rules and computations as API-made ones.
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text as sql_text
from sqlmodel import Session, col, delete, select

from . import background
from .clock import SandboxClock
from .db import Tx, restart_ids
from .sandbox import Sandbox
from .state import StateStore, forget_snapshot
from .tables import (
    INVOICE_COUNT_TRIGGERS,
    AccessToken,
    Customer,
    IdempotencyRecord,
    Invoice,
    InvoiceCount,
    InvoiceEvent,
    InvoiceItem,
    Payment,
    Tenant,
)


class FixtureError(ValueError):
    pass


def exact_numbers(value: Any) -> Any:
    """TOML floats become exact decimals, as JSON numbers do on the APIs."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: exact_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [exact_numbers(v) for v in value]
    return value


def fixture_files(directory: Path | None) -> dict[str, Path]:
    if directory is None:
        return {}
    if not directory.is_dir():
        raise FixtureError(f"fixtures directory {str(directory)!r} does not exist")
    return {path.stem: path for path in sorted(directory.glob("*.toml"))}


def _sources(sandbox: Sandbox, provider: str | None) -> list[tuple[str, Any, str]]:
    """(provider, loader, text) of every fixture file, or of one provider's."""
    found = []
    for name, path in fixture_files(sandbox.fixtures_dir).items():
        if provider is not None and name != provider:
            continue
        loader = sandbox.fixture_loaders.get(name)
        if loader is None:
            raise FixtureError(f"{path.name}: no provider named {name!r}")
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise FixtureError(f"{path.name}: {exc}") from exc
        found.append((name, loader, text))
    return found


def _parsed(sources: list[tuple[str, Any, str]]) -> list[tuple[str, Any, Any]]:
    """(provider, loader, parsed document) of each source."""
    found = []
    for name, loader, text in sources:
        try:
            found.append((name, loader, tomllib.loads(text)))
        except tomllib.TOMLDecodeError as exc:
            raise FixtureError(f"{name}.toml: {exc}") from exc
    return found


def _documents(sandbox: Sandbox, provider: str | None) -> list[tuple[str, Any, Any]]:
    """(provider, loader, parsed document) of every fixture file, or of one provider's."""
    return _parsed(_sources(sandbox, provider))


def _run(sandbox: Sandbox, session: Session, name: str, loader: Any, document: Any,
         tenant: str | None) -> None:
    try:
        loader(sandbox, session, document, tenant)
    except FixtureError:
        raise
    except Exception as exc:
        raise FixtureError(f"{name}.toml: {exc}") from exc


def seed_if_empty(sandbox: Sandbox) -> bool:
    """Load every fixture file into a database without tenants, in one transaction: of several
    processes starting together on one new database, exactly one seeds it."""
    documents = _documents(sandbox, None)
    with sandbox.db.write() as session:
        if session.exec(select(Tenant.id).limit(1)).first() is not None:
            return False  # a database that holds state keeps it across restarts
        for name, loader, document in documents:
            _run(sandbox, session, name, loader, document, None)
    return True


_TENANT_OWNED = (IdempotencyRecord, AccessToken, InvoiceEvent, InvoiceItem, Payment, Invoice,
                 Customer)


_SQLITE_COUNT_DOWN = next(t for t in INVOICE_COUNT_TRIGGERS["sqlite"]
                          if t.startswith("CREATE TRIGGER invoice_counts_delete "))


def wipe(session: Session, provider: str | None = None, tenant: str | None = None) -> int:
    """Delete tenants (all, one provider's, or one by key) and everything they own."""
    everything = provider is None and tenant is None
    stmt = select(Tenant.id)
    if provider is not None:
        stmt = stmt.where(col(Tenant.provider) == provider)
    if tenant is not None:
        stmt = stmt.where(col(Tenant.key) == tenant)
    ids = [i for i in session.exec(stmt).all() if i is not None]
    # A reset is a new epoch: the wiped tenants' queued deliveries and jobs are dropped.
    background.on_reset(session, None if everything else ids)
    if everything and ids:
        # No WHERE: SQLite empties each table at once (its foreign keys checked at commit,
        # see `reset`) rather than row by row through every index, but only a table with no
        # trigger: the invoice counts' delete trigger is set aside for it, and the counts go too.
        conn = session.connection()
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.execute(sql_text("DROP TRIGGER invoice_counts_delete"))
        for model in (*_TENANT_OWNED, Tenant, InvoiceCount):
            session.exec(delete(model))
        if sqlite:
            conn.execute(sql_text(_SQLITE_COUNT_DOWN))
    elif ids:
        for owned in _TENANT_OWNED:
            session.exec(delete(owned).where(col(owned.tenant_id).in_(ids)))
        session.exec(delete(Tenant).where(col(Tenant.id).in_(ids)))
    restart_ids(session)
    return len(ids)


def reset(sandbox: Sandbox, provider: str | None = None, tenant: str | None = None) -> int:
    """Wipe state (all, one provider's or one tenant's) and reload the fixtures, as one
    transaction: other connections see the old state until it commits, then the new one,
    never the wiped state in between (or anything of a reset that failed)."""
    everything = provider is None and tenant is None
    documents = _documents(sandbox, provider)  # a broken file fails before anything changes
    with sandbox.db.write(keys_at_commit=everything) as session:
        removed = wipe(session, provider, tenant)
        # Services with state of their own (journal, fault rules, throttle windows) clear it
        # on this event, in this transaction.
        sandbox.hooks.emit("reset", "sandbox", session, only_provider=provider, only_tenant=tenant)
        if everything:
            sandbox.clock.reset(session)
        sandbox.state.bump(session)  # every process drops what it cached
        # The loaders read the clock as this transaction has it.
        loading = replace(sandbox, clock=TransactionClock(sandbox.clock.store, session))
        for name, loader, document in documents:
            _run(loading, session, name, loader, document, tenant)
    sandbox.tenants.forget()
    forget_snapshot()  # the request that reset reads the new state row if it reads again
    return removed


class TransactionClock(SandboxClock):
    """The sandbox clock as read inside one write transaction, before it commits."""

    def __init__(self, store: StateStore, tx: Tx) -> None:
        super().__init__(store)
        self._tx = tx

    def now(self) -> datetime:
        snapshot = self.store.lock(self._tx)
        if snapshot.frozen_at is not None:
            return snapshot.frozen_at
        return datetime.now(UTC) + snapshot.offset

    @property
    def frozen(self) -> bool:
        return self.store.lock(self._tx).frozen_at is not None
