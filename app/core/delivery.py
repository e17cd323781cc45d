"""The delivery worker: every process runs one; together they send each outbox row once.

Rows are grouped by target (scheme://host:port). Each target with due rows gets its own task
that claims and sends that target's rows one after another, so one slow or dead endpoint holds
up only its own notifications; at most `MAX_TARGETS` targets are served at once per process.
An attempt is recorded as a short outcome (`http_503`, `timeout`, `connection_failed`, ...),
never the transport's own error text, so the log cannot be used to probe the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import os
import socket
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from . import webhooks
from .clock import iso_utc
from .db import Database
from .targets import InvalidTarget, OwnEndpoints

if TYPE_CHECKING:  # httpx is imported when the first delivery is due (see `_http`)
    import httpx

log = logging.getLogger("invoice_sandbox.webhooks")

TIMEOUT_SECONDS = 5.0
MAX_TARGETS = 16
POLL_SECONDS = 0.25
PRUNE_EVERY_SECONDS = 30.0

REFUSED = "refused_control_plane"


def process_id() -> str:
    """Names this process's claims in the database (host, pid, and a nonce for restarts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def outcome_of(exc: BaseException) -> str:
    import httpx

    if isinstance(exc, (TimeoutError, httpx.TimeoutException)):
        return "timeout"
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL, InvalidTarget)):
        return "invalid_url"
    if isinstance(exc, (httpx.ConnectError, httpx.NetworkError)):
        return "connection_failed"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "protocol_error"
    return "error"


class DeliveryWorker:
    def __init__(self, db: Database, own: OwnEndpoints) -> None:
        self.db = db
        self.own = own
        self.name = process_id()
        self._claims = itertools.count(1)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._busy: dict[str, asyncio.Task[None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._pruned_at = 0.0
        self._stopping = False

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Claim nothing more; let sends in progress finish and be recorded (within the send
        timeout) so that no claim is left to lapse; cancel what is still going after that."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=TIMEOUT_SECONDS + 5)

    def wake(self) -> None:
        """Look for due rows now rather than at the next poll (safe from any thread)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        try:
            while not self._stopping:
                try:
                    await self._dispatch()
                except Exception:  # keep the worker alive whatever one round does
                    log.exception("delivery round failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=POLL_SECONDS)
                self._wake.clear()
        finally:  # the client stays open until the sends using it are over
            await self._end_sends()
            if self._client is not None:
                await self._client.aclose()

    def _http(self) -> httpx.AsyncClient:
        """The HTTP client, made when the first delivery is due: importing httpx at start would
        delay the first answer of a server that may never deliver anything."""
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False,
                                             trust_env=False)
        return self._client

    async def _end_sends(self) -> None:
        sending = list(self._busy.values())
        if sending:
            await asyncio.wait(sending, timeout=TIMEOUT_SECONDS + 1)
        for task in sending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _dispatch(self) -> None:
        free = MAX_TARGETS - len(self._busy)
        if free > 0:
            targets = await asyncio.to_thread(self._due_targets, free + len(self._busy))
            for target in targets:
                if target in self._busy or len(self._busy) >= MAX_TARGETS:
                    continue
                task = asyncio.create_task(self._drain(self._http(), target))
                self._busy[target] = task
                task.add_done_callback(functools.partial(self._done, target))
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
            self._pruned_at = time.monotonic()
            await asyncio.to_thread(self._prune)

    def _done(self, target: str, _: asyncio.Task[None]) -> None:
        self._busy.pop(target, None)

    def _due_targets(self, limit: int) -> list[str]:
        with self.db.read_sql() as conn:
            return webhooks.due_targets(conn, datetime.now(UTC), limit)

    def _prune(self) -> None:
        with self.db.write_sql() as conn:
            webhooks.prune(conn)

    def _claim(self, target: str, token: str) -> Any:
        with self.db.write_sql() as conn:
            return webhooks.claim(conn, target, token, datetime.now(UTC))

    def _record(self, delivery_id: int, token: str, attempt: dict[str, Any], delivered: bool,
                final: bool) -> None:
        with self.db.write_sql() as conn:
            webhooks.record(conn, delivery_id, token, attempt, delivered=delivered,
                            final=final, now=datetime.now(UTC))

    async def _drain(self, client: httpx.AsyncClient, target: str) -> None:
        """Send `target`'s due rows, oldest first, until none is left to claim."""
        try:
            while not self._stopping:
                token = f"{self.name}:{next(self._claims)}"
                row = await asyncio.to_thread(self._claim, target, token)
                if row is None:
                    return
                attempt, delivered, final = await self._attempt(client, row)
                await asyncio.to_thread(self._record, row.id, token, attempt, delivered, final)
        except Exception:  # the claim lapses and the row is tried again
            log.exception("delivery to %s failed", target)

    async def _attempt(self, client: httpx.AsyncClient,
                       row: Any) -> tuple[dict[str, Any], bool, bool]:
        """(the attempt as recorded, delivered?, final?) for one send of `row`."""
        record: dict[str, Any] = {"at": iso_utc(datetime.now(UTC))}
        started = time.perf_counter()
        try:
            refused = await asyncio.to_thread(self.own.refuses, row.url)
        except InvalidTarget:
            record.update(status_code=None, outcome="invalid_url", duration_ms=0.0)
            return record, False, True
        if refused:
            record.update(status_code=None, outcome=REFUSED, duration_ms=0.0)
            return record, False, True
        delivered = False
        try:
            # One deadline for the whole exchange: a receiver trickling bytes cannot hold a
            # send (and its lease) open beyond it.
            response = await asyncio.wait_for(
                client.post(row.url, content=row.body, headers=row.headers),
                timeout=TIMEOUT_SECONDS)
            delivered = 200 <= response.status_code < 300
            record.update(status_code=response.status_code,
                          outcome="delivered" if delivered else f"http_{response.status_code}")
        except Exception as exc:  # httpx.HTTPError and anything the transport raises
            record.update(status_code=None, outcome=outcome_of(exc))
        record["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return record, delivered, False
