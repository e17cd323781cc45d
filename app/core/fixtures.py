"""Seed data: `fixtures/<provider>.toml`, loaded at start and on reset.

The core only finds the files and wipes state; each provider's loader turns its document into
core commands, so seeded invoices obey the same rules and computations as API-made ones.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, delete, select

from . import background
from .sandbox import Sandbox
from .tables import (
    AccessToken,
    Customer,
    IdempotencyRecord,
    Invoice,
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


def load(sandbox: Sandbox, provider: str | None = None, tenant: str | None = None) -> list[str]:
    """Load every fixture file (or one provider's), optionally one tenant; returns providers."""
    loaded = []
    for name, path in fixture_files(sandbox.fixtures_dir).items():
        if provider is not None and name != provider:
            continue
        loader = sandbox.fixture_loaders.get(name)
        if loader is None:
            raise FixtureError(f"{path.name}: no provider named {name!r}")
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise FixtureError(f"{path.name}: {exc}") from exc
        with sandbox.db.write() as session:
            try:
                loader(sandbox, session, document, tenant)
            except FixtureError:
                raise
            except Exception as exc:
                raise FixtureError(f"{path.name}: {exc}") from exc
        loaded.append(name)
    return loaded


_TENANT_OWNED = (IdempotencyRecord, AccessToken, InvoiceEvent, InvoiceItem, Payment, Invoice,
                 Customer)


def wipe(session: Session, provider: str | None = None, tenant: str | None = None) -> int:
    """Delete tenants (all, one provider's, or one by key) and everything they own."""
    stmt = select(Tenant.id)
    if provider is not None:
        stmt = stmt.where(col(Tenant.provider) == provider)
    if tenant is not None:
        stmt = stmt.where(col(Tenant.key) == tenant)
    ids = [i for i in session.exec(stmt).all() if i is not None]
    # A reset is a new epoch: the wiped tenants' queued deliveries and jobs are dropped.
    background.on_reset(session, None if provider is None and tenant is None else ids)
    if ids:
        for model in _TENANT_OWNED:
            session.exec(delete(model).where(col(model.tenant_id).in_(ids)))
        session.exec(delete(Tenant).where(col(Tenant.id).in_(ids)))
    return len(ids)


def reset(sandbox: Sandbox, provider: str | None = None, tenant: str | None = None) -> int:
    with sandbox.db.write() as session:
        removed = wipe(session, provider, tenant)
        # Services with state of their own (journal, fault rules, throttle windows) clear it
        # on this event, in this transaction.
        sandbox.hooks.emit("reset", "sandbox", session, only_provider=provider, only_tenant=tenant)
        if provider is None and tenant is None:
            sandbox.clock.reset(session)
        sandbox.state.bump(session)  # every process drops what it cached
    sandbox.tenants.forget()
    load(sandbox, provider, tenant)
    return removed
