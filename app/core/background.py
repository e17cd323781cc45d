"""Durable background work of one process: the delivery worker and the job runner, started in
the app's lifespan, and the reset's side of both (a new epoch, the wiped tenants' work dropped).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from . import epoch, jobs, webhooks
from .db import sql
from .delivery import DeliveryWorker
from .targets import OwnEndpoints

if TYPE_CHECKING:
    from .sandbox import Sandbox


class Background:
    def __init__(self, sandbox: Sandbox, own: OwnEndpoints) -> None:
        epoch.ensure(sandbox.db)
        self.deliveries = DeliveryWorker(sandbox.db, own)
        self.jobs = jobs.JobRunner(sandbox.db, sandbox.job_handlers, self.deliveries.name)

    def start(self) -> None:
        self.deliveries.start()
        self.jobs.start()

    async def stop(self) -> None:
        await self.jobs.stop()
        await self.deliveries.stop()

    def wake(self) -> None:
        """New work was committed: look for it now (safe from any thread)."""
        self.deliveries.wake()
        self.jobs.wake()


def on_reset(session: Session, tenant_ids: Sequence[int] | None) -> None:
    """In a reset's transaction, before the tenants `tenant_ids` (None: all) are deleted: start
    a new epoch; drop their queued deliveries and jobs, carry everyone else's over."""
    conn = sql(session)
    old = epoch.current(conn)
    new = epoch.advance(conn)
    webhooks.drop_for_reset(conn, tenant_ids, datetime.now(UTC), old, new)
    jobs.drop_for_reset(conn, tenant_ids, old, new)
