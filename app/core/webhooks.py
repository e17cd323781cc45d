"""The outbox: outgoing notifications are rows written in the transaction that caused them,
then delivered by one background worker with retries and exponential backoff.

Retries are scheduled on wall-clock time, not the sandbox clock, so a frozen clock never
stalls delivery. Every attempt (status, error, duration) is kept on the row for inspection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from .clock import iso_utc
from .db import Database
from .tables import Delivery

if TYPE_CHECKING:  # httpx is imported when the worker starts: it weighs on start-up time
    import httpx

log = logging.getLogger("invoice_sandbox.webhooks")

MAX_ATTEMPTS = 6
FIRST_BACKOFF_SECONDS = 0.5
TIMEOUT_SECONDS = 5.0


def enqueue(
    session: Session,
    *,
    provider: str,
    tenant_id: int | None,
    event: str,
    url: str,
    body: bytes,
    headers: dict[str, str],
) -> Delivery:
    delivery = Delivery(
        provider=provider, tenant_id=tenant_id, event=event, url=url, body=body,
        headers=headers, state="pending", attempts=[],
        next_attempt_at=datetime.now(UTC), created_at=datetime.now(UTC),
    )
    session.add(delivery)
    return delivery


def list_deliveries(session: Session, provider: str | None = None,
                    tenant_id: int | None = None) -> list[Delivery]:
    stmt = select(Delivery).order_by(col(Delivery.id))
    if provider:
        stmt = stmt.where(col(Delivery.provider) == provider)
    if tenant_id is not None:
        stmt = stmt.where(col(Delivery.tenant_id) == tenant_id)
    return list(session.exec(stmt).all())


def describe(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "provider": delivery.provider,
        "event": delivery.event,
        "url": delivery.url,
        "state": delivery.state,
        "headers": delivery.headers,
        "body": delivery.body.decode("utf-8", "replace"),
        "attempts": delivery.attempts,
        "next_attempt_at": iso_utc(delivery.next_attempt_at) if delivery.next_attempt_at else None,
        "created_at": iso_utc(delivery.created_at),
    }


class DeliveryWorker:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def wake(self) -> None:
        """Deliver now rather than at the next poll (safe to call from any thread)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        import httpx

        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            while True:
                try:
                    await self.deliver_due(client)
                except Exception:  # keep the worker alive whatever one delivery does
                    log.exception("delivery round failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=0.25)
                self._wake.clear()

    async def deliver_due(self, client: httpx.AsyncClient) -> None:
        now = datetime.now(UTC)
        with self.db.read() as session:
            due = session.exec(
                select(Delivery).where(col(Delivery.state) == "pending",
                                       col(Delivery.next_attempt_at) <= now)
                .order_by(col(Delivery.id)).limit(50)
            ).all()
        for delivery in due:
            await self._attempt(client, delivery)

    async def _attempt(self, client: httpx.AsyncClient, delivery: Delivery) -> None:
        started = time.perf_counter()
        record: dict[str, Any] = {"at": iso_utc(datetime.now(UTC))}
        try:
            response = await client.post(delivery.url, content=delivery.body,
                                         headers=delivery.headers)
            record["status_code"] = response.status_code
            ok = 200 <= response.status_code < 300
        except Exception as exc:  # httpx.HTTPError and anything the transport raises
            record["error"] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            ok = False
        record["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
        with self.db.write() as session:
            row = session.get(Delivery, delivery.id)
            if row is None:  # wiped by a reset meanwhile
                return
            attempts = [*row.attempts, record]
            row.attempts = attempts
            if ok:
                row.state, row.next_attempt_at = "delivered", None
            elif len(attempts) >= MAX_ATTEMPTS:
                row.state, row.next_attempt_at = "failed", None
            else:
                backoff = FIRST_BACKOFF_SECONDS * 2 ** (len(attempts) - 1)
                row.next_attempt_at = datetime.now(UTC) + timedelta(seconds=backoff)
            session.add(row)
