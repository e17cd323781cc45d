"""Durable jobs: work promised to a client (a bulk upload answered 202) is a row written in the
transaction that makes the promise, then done by whichever process claims it.

A claim stamps the row with a unique token and a lease. The holder does the work in steps, each
one transaction that first checks the claim is still its own and the job's epoch still current,
then applies a chunk and records the progress with it. A step is therefore applied exactly once:
after a crash (kill -9) the lease runs out and another process (or the restarted one) carries on
from the last committed step. The step that finishes the job deletes it, in the same
transaction as the job's last effects (such as queueing its callback). A reset drops the jobs
of the tenants it wipes and starts a new epoch; a step of a dropped job applies nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col
from sqlmodel import select as select_models

from . import epoch
from .background_tables import Job
from .db import Database

log = logging.getLogger("invoice_sandbox.jobs")

# A step is short (a chunk of work); the lease is renewed by each step.
LEASE_SECONDS = 15.0
POLL_SECONDS = 0.25

# Does one step of a job inside the given transaction (updating `job.progress`); returns True
# when the job is finished.
JobHandler = Callable[[Session, Job], bool]

_t = Job.__table__  # type: ignore[attr-defined]


def enqueue(session: Session, *, kind: str, tenant_id: int | None, payload: bytes,
            progress: dict[str, Any] | None = None) -> Job:
    job = Job(kind=kind, tenant_id=tenant_id, payload=payload, progress=progress or {},
              epoch=epoch.current(session), created_at=datetime.now(UTC))
    session.add(job)
    return job


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(or_(_t.c.lease_until.is_(None), _t.c.lease_until < now),
                _t.c.epoch == epoch.current_expr())


def any_claimable(conn: Connection, now: datetime) -> bool:
    """A cheap read before a claim: most of the time there is no job, and a claim would take
    the write lock for nothing."""
    return conn.execute(select(_t.c.id).where(_claimable(now)).limit(1)).first() is not None


def claim(conn: Connection, token: str, now: datetime) -> int | None:
    """Claim the oldest claimable job for `token` (unique per claim); its id, or None."""
    oldest = (select(_t.c.id).where(_claimable(now)).order_by(_t.c.id).limit(1)
              .scalar_subquery())
    taken = conn.execute(update(_t).where(_t.c.id == oldest, _claimable(now))
                         .values(claimed_by=token,
                                 lease_until=now + timedelta(seconds=LEASE_SECONDS)))
    if taken.rowcount != 1:
        return None
    found = conn.execute(select(_t.c.id).where(_t.c.claimed_by == token)).scalar()
    return None if found is None else int(found)


def release(conn: Connection, job_id: int, token: str) -> None:
    conn.execute(update(_t).where(_t.c.id == job_id, _t.c.claimed_by == token)
                 .values(claimed_by=None, lease_until=None))


def step(db: Database, handlers: dict[str, JobHandler], job_id: int, token: str) -> bool:
    """One committed step of a claimed job; False once there is nothing more to do for it
    (finished, dropped by a reset, or its lease taken over by another process)."""
    with db.write() as session:
        job = session.exec(select_models(Job).where(
            col(Job.id) == job_id, col(Job.claimed_by) == token,
            col(Job.epoch) == epoch.current(session)).with_for_update()).first()
        if job is None:
            return False
        handler = handlers.get(job.kind)
        if handler is None:
            log.error("no handler for job %s of kind %r; it waits", job_id, job.kind)
            return False
        if handler(session, job):
            session.delete(job)
            return False
        job.lease_until = datetime.now(UTC) + timedelta(seconds=LEASE_SECONDS)
        session.add(job)
        return True


def drop_for_reset(conn: Connection, tenant_ids: Sequence[int] | None, old_epoch: int,
                   new_epoch: int) -> None:
    """The jobs side of a reset of `tenant_ids` (None: everything): their jobs are dropped,
    everyone else's move on to the new epoch."""
    affected, kept = epoch.carried_over(_t.c.tenant_id, tenant_ids)
    conn.execute(delete(_t).where(affected))
    conn.execute(update(_t).where(_t.c.epoch == old_epoch, kept)
                 .values(epoch=new_epoch))


class JobRunner:
    """Claims jobs and runs them step by step, one at a time per process, off the event loop."""

    def __init__(self, db: Database, handlers: dict[str, JobHandler], name: str) -> None:
        self.db = db
        self.handlers = handlers
        self.name = name
        self._claims = itertools.count(1)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Start no new step; the step in progress commits, and its job is handed back."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=LEASE_SECONDS)

    def wake(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                while await asyncio.to_thread(self._run_one):
                    pass
            except Exception:  # keep the runner alive; the job's lease lapses, it is retried
                log.exception("job step failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=POLL_SECONDS)
            self._wake.clear()

    def _run_one(self) -> bool:
        """Claim a job and run it to its end; False when there was none to claim."""
        with self.db.read_sql() as conn:
            if not any_claimable(conn, datetime.now(UTC)):
                return False
        token = f"{self.name}:job:{next(self._claims)}"
        with self.db.write_sql() as conn:
            job_id = claim(conn, token, datetime.now(UTC))
        if job_id is None:
            return False
        while step(self.db, self.handlers, job_id, token):
            if self._stopping:  # another process (or the next start) carries on at once
                with self.db.write_sql() as conn:
                    release(conn, job_id, token)
                return False
        return True
