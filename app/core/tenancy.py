"""Tenants from credentials. Open mode creates a tenant on first use; strict mode only knows
the tenants that fixtures declared. Lookups are cached per process: they run on every request.
The cache holds only while the sandbox's generation (`app.core.state`) is the one it was built
at: a reset or a tenant change in any process bumps it.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .db import Database
from .state import StateStore
from .tables import Tenant


class TenantDirectory:
    def __init__(self, db: Database, strict: bool, state: StateStore) -> None:
        self.db = db
        self.strict = strict
        self.state = state
        self._cache: dict[tuple[str, str], Tenant] = {}
        self._generation = -1
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Drop cached tenants (after a change this process made)."""
        with self._lock:
            self._cache.clear()

    def _cached(self, provider: str, key: str) -> Tenant | None:
        generation = self.state.current().generation
        if generation != self._generation:
            with self._lock:
                self._cache.clear()
                self._generation = generation
            return None
        return self._cache.get((provider, key))

    def _keep(self, tenant: Tenant) -> None:
        # Kept only under the generation it was read at: one bumped meanwhile (by this
        # request's own change, or seen on the next request) drops it.
        if self.state.current().generation == self._generation:
            with self._lock:
                self._cache[(tenant.provider, tenant.key)] = tenant

    def lookup(self, provider: str, key: str) -> Tenant | None:
        cached = self._cached(provider, key)
        if cached is not None:
            return cached
        with self.db.read() as session:
            tenant = find(session, provider, key)
        if tenant is not None:
            self._keep(tenant)
        return tenant

    def resolve(self, provider: str, key: str, now: datetime, secret: str | None = None,
                public_id_base: int = 0) -> Tenant | None:
        """The tenant for these credentials, created on first use in open mode."""
        tenant = self.lookup(provider, key)
        if tenant is not None or self.strict:
            return tenant
        try:
            with self.db.write() as session:
                tenant = find(session, provider, key) or create(
                    session, provider, key, now, secret=secret, public_id_base=public_id_base
                )
        except IntegrityError:  # another request created it first
            return self.lookup(provider, key)
        return tenant


def find(session: Session, provider: str, key: str) -> Tenant | None:
    return session.exec(
        select(Tenant).where(col(Tenant.provider) == provider, col(Tenant.key) == key)
    ).first()


def create(
    session: Session,
    provider: str,
    key: str,
    now: datetime,
    *,
    secret: str | None = None,
    public_id: int | None = None,
    public_id_base: int = 0,
    from_fixture: bool = False,
    attrs: dict[str, object] | None = None,
) -> Tenant:
    tenant = Tenant(provider=provider, key=key, secret=secret, public_id=public_id or 0,
                    from_fixture=from_fixture, attrs=dict(attrs or {}), created_at=now)
    session.add(tenant)
    session.flush()
    if public_id is None:
        assert tenant.id is not None
        tenant.public_id = public_id_base + tenant.id
        session.add(tenant)
    return tenant
