"""The request journal: every request a client sent to a provider path, newest first.

Entries are rows (`journal_entries`), so every process on one database records into and lists
the same journal, with ids unique across them. Each entry is bounded as it is recorded (headers,
query, path and bodies are cut to fixed sizes) and the table is pruned to the newest `capacity`
entries as it is written (every PRUNE_EVERY writes of a process), so the journal never holds
more than (capacity + PRUNE_EVERY x processes) x MAX_ENTRY_BYTES of text.
Credentials are redacted before anything is stored (`redaction`).

Entries are written behind the traffic: a process holds what it answered for FLUSH_SECONDS and
a worker thread stores it in one transaction, instead of a commit per request on the request's
path (that commit was about a third of a short request's cost). Listings are in the order the
answers went out (`answered_us`), whichever process stored them first. Nothing is lost to that:
every read of the journal first stores what its own process holds, a process stores what it
holds before it stops, and where other processes may be writing (`--workers`, PostgreSQL) a read
first waits out their window. So a client that got its answer finds it listed, on any process;
only a process killed outright loses the last few milliseconds of its entries.
Control-plane calls (`/_sandbox/...`) and the hosted checkout pages (`/checkout/...`)
are not recorded; requests to unknown paths are, with `provider: null`, so a client pointed at a
wrong base path shows up too.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import Response
from sqlalchemy import Integer, bindparam, delete, func, insert, select
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.clock import iso_utc
from ..core.db import Tx, sql
from ..core.fast import Driver, Prepared
from ..core.sandbox import Sandbox
from ..core.state import request_secrets
from ..core.tables import JournalEntry
from ..providers.edge import ProviderEdge, json_response
from . import redaction
from .errors import control_error

DEFAULT_CAPACITY = 1000
REQUEST_BODY_LIMIT = 4096
RESPONSE_BODY_LIMIT = 8192
HEADER_VALUE_LIMIT = 1024  # characters kept of one header value
HEADER_COUNT_LIMIT = 64  # headers kept per request or response
TEXT_LIMIT = 2048  # characters kept of the path and of the query string
# What one entry can hold at most: bodies, headers (name + value) of both sides, path, query.
MAX_ENTRY_BYTES = (REQUEST_BODY_LIMIT + RESPONSE_BODY_LIMIT
                   + 2 * HEADER_COUNT_LIMIT * (HEADER_VALUE_LIMIT + 64) + 2 * TEXT_LIMIT)
UNRECORDED_PREFIXES = ("/_sandbox", "/checkout/")
CUT = "...[cut]"
# Each process prunes after this many of its writes: the table holds at most capacity plus
# PRUNE_EVERY per process, and listings show only the newest `capacity`.
PRUNE_EVERY = 16
# How long a process holds answered requests before storing them together.
FLUSH_SECONDS = 0.005
# What a read waits where other processes may be holding entries: their window and a margin.
PEER_WAIT_SECONDS = 4 * FLUSH_SECONDS

log = logging.getLogger("invoice_sandbox.journal")
_TABLE = JournalEntry.__table__  # type: ignore[attr-defined]
_NEWEST_FIRST = (_TABLE.c.answered_us.desc(), _TABLE.c.id.desc())


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(CUT)] + CUT


def _bounded_headers(raw: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    kept = []
    for key, value in raw[:HEADER_COUNT_LIMIT]:
        if len(value) > HEADER_VALUE_LIMIT:
            value = value[: HEADER_VALUE_LIMIT - len(CUT)] + CUT.encode()
        kept.append((key[:64], value))
    return kept


# --- one request being recorded ----------------------------------------------------------------

@dataclass(slots=True)
class Entry:
    time: datetime
    provider: str | None
    method: str
    path: str
    query: bytes
    request_headers: Sequence[tuple[bytes, bytes]]
    request_body: bytes = b""
    request_bytes: int = 0
    request_complete: bool = True
    status: int | None = None
    response_headers: Sequence[tuple[bytes, bytes]] = ()
    response_body: bytearray = field(default_factory=bytearray)
    response_bytes: int = 0
    started: float = 0.0
    finished: float = 0.0
    answered_us: int = 0  # the machine's clock, µs: the order of listings
    fault: dict[str, Any] | None = None
    stored: bool = False
    credentials: tuple[str, ...] = ()  # what the edge accepted, kept only until redaction

    def row(self) -> dict[str, Any]:
        """The entry as stored: bounded, credentials redacted."""
        secrets = redaction.secrets_of(self.credentials)
        request_headers = redaction.headers(_bounded_headers(self.request_headers), secrets,
                                            redact=True)
        response_headers = redaction.headers(_bounded_headers(self.response_headers), secrets,
                                             redact=True)
        query = secrets.scrub(redaction.redact_pairs(
            _cut(self.query.decode("latin-1"), TEXT_LIMIT)))
        request_body = redaction.body_text(self.request_body, secrets)
        response_body = redaction.body_text(bytes(self.response_body), secrets)
        path = _cut(self.path, TEXT_LIMIT)
        if ";" in path:  # matrix parameters (`/invoices;access_token=...`) are pairs too
            path = redaction.redact_pairs(path)
        path = secrets.scrub(path)
        size = (len(path) + len(query) + len(request_body) + len(response_body)
                + sum(len(k) + len(v) for k, v in request_headers.items())
                + sum(len(k) + len(v) for k, v in response_headers.items()))
        record = {
            "query": query,
            "duration_ms": round((self.finished - self.started) * 1000.0, 3),
            "request": {
                "headers": request_headers,
                "body": request_body,
                "body_bytes": self.request_bytes,
                "truncated": (self.request_bytes > len(self.request_body)
                              or not self.request_complete),
            },
            "response": {
                "headers": response_headers,
                "body": response_body,
                "body_bytes": self.response_bytes,
                "truncated": self.response_bytes > len(self.response_body),
            },
        }
        return {"time": self.time, "provider": self.provider, "method": self.method[:16],
                "path": path, "status": self.status, "fault": self.fault, "size": size,
                "answered_us": self.answered_us, "record": orjson.dumps(record).decode()}


def describe(row: Any) -> dict[str, Any]:
    record = orjson.loads(row.record)
    return {
        "id": row.id,
        "time": iso_utc(row.time),
        "provider": row.provider,
        "method": row.method,
        "path": row.path,
        "query": record["query"],
        "status": row.status,
        "duration_ms": record["duration_ms"],
        "fault": row.fault,
        "request": record["request"],
        "response": record["response"],
    }


class Journal:
    def __init__(self, sandbox: Sandbox, capacity: int = DEFAULT_CAPACITY, *,
                 shared: bool = False) -> None:
        self.db = sandbox.db
        self.capacity = capacity
        # Other processes may write into this journal (and hold entries for a moment).
        self.shared = shared
        self._writes = 0
        self._held: list[Entry] = []
        self._held_lock = threading.Lock()  # the list: appended on the loop, taken by flushes
        self._flush_lock = threading.Lock()  # one flush at a time, so ids keep answer order
        self._flush_pending = False
        # Written on every provider request: straight on the driver (see app.core.fast).
        self._driver = Driver(sandbox.db)
        # Every column but the id, which the database assigns (an explicit NULL id is refused
        # by PostgreSQL).
        self._insert = Prepared(sandbox.db, insert(_TABLE).values(
            {c.name: bindparam(c.name, type_=c.type) for c in _TABLE.c if c.name != "id"}))
        # Ids only grow: all but the newest `capacity` go, whichever process wrote them.
        newest = select(func.max(_TABLE.c.id)).scalar_subquery()
        self._prune = Prepared(sandbox.db, delete(_TABLE).where(
            _TABLE.c.id <= newest - bindparam("capacity", type_=Integer)))

    def resize(self, capacity: int) -> None:
        """Keep the newest `capacity` entries from now on."""
        self.capacity = capacity
        self._driver.execute(self._prune, capacity=capacity)

    def record(self, entry: Entry) -> None:
        """Hold an answered request; a worker thread stores it within FLUSH_SECONDS."""
        if entry.stored:
            return
        entry.stored = True
        entry.finished = time.perf_counter()
        entry.answered_us = time.time_ns() // 1000
        entry.credentials = tuple(request_secrets())
        with self._held_lock:
            self._held.append(entry)
            schedule = not self._flush_pending  # else it joins the batch being held
            self._flush_pending = True
        if not schedule:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop to hand it over on: store it now
            self.flush()
            return
        loop.call_later(FLUSH_SECONDS, loop.run_in_executor, None, self._flush_logged)

    def _flush_logged(self) -> None:
        try:
            self.flush()
        except Exception:  # a journal that cannot be written must not take the traffic with it
            log.exception("could not store journal entries")

    def flush(self) -> None:
        """Store every held entry, in one transaction."""
        with self._flush_lock:
            with self._held_lock:
                batch, self._held = self._held, []
                self._flush_pending = False
            if not batch:
                return
            self._driver.execute_many(self._insert, [entry.row() for entry in batch])
            before, self._writes = self._writes, self._writes + len(batch)
            if before // PRUNE_EVERY != self._writes // PRUNE_EVERY:
                self._driver.execute(self._prune, capacity=self.capacity)

    def _settled(self) -> None:
        """Before a read: this process's entries stored, other processes' given their window."""
        self.flush()
        if self.shared:
            time.sleep(PEER_WAIT_SECONDS)

    def clear(self, tx: Tx | None = None) -> int:
        """Delete every entry; returns how many. In a caller's transaction (a reset), entries
        this process still holds are dropped with them; on their own they are stored first, so
        they are counted, and their ids are used up like the others'."""
        if tx is None:
            self.flush()
            with self.db.write_sql() as conn:
                return self.clear(conn)
        with self._held_lock:  # held entries are older than the clearing: they go too
            self._held = []
        # Ids keep counting up, so a stale id never names a new entry.
        return int(sql(tx).execute(delete(_TABLE)).rowcount)

    def since(self, last_id: int, count: int = 200) -> list[dict[str, Any]]:
        """Up to `count` entries after `last_id`, oldest first (what a live view polls)."""
        self.flush()  # a live view polls on: other processes' entries come with the next poll
        with self.db.read_sql() as conn:
            rows = conn.execute(select(_TABLE).where(_TABLE.c.id > last_id)
                                .order_by(_TABLE.c.id).limit(count)).all()
        return [describe(r) for r in rows]

    def latest_id(self) -> int:
        self._settled()
        with self.db.read_sql() as conn:
            return int(conn.execute(select(func.max(_TABLE.c.id))).scalar() or 0)

    def listing(self, *, provider: str | None, method: str | None, path: str | None,
                status: str | None, after: int, count: int) -> tuple[list[dict[str, Any]], int]:
        """The newest `count` entries that match, and how many match in all."""
        stmt = select(_TABLE.c.id, _TABLE.c.path).where(_TABLE.c.id > after)
        if provider is not None:
            stmt = stmt.where(_TABLE.c.provider == provider)
        if method is not None:
            stmt = stmt.where(_TABLE.c.method == method)
        if status is not None:
            if status[1:].lower() == "xx":
                low = int(status[0]) * 100
                stmt = stmt.where(_TABLE.c.status >= low, _TABLE.c.status < low + 100)
            else:
                stmt = stmt.where(_TABLE.c.status == int(status))
        if path is not None:  # narrowed in SQL, decided here (LIKE's case rules vary)
            stmt = stmt.where(_TABLE.c.path.contains(path, autoescape=True))
        self._settled()
        with self.db.read_sql() as conn:
            candidates = conn.execute(stmt.order_by(*_NEWEST_FIRST).limit(self.capacity)).all()
            ids = [i for i, p in candidates if path is None or path in p]
            rows = conn.execute(select(_TABLE).where(_TABLE.c.id.in_(ids[:count]))
                                .order_by(*_NEWEST_FIRST)).all() if ids[:count] else []
        return [describe(r) for r in rows], len(ids)


# --- the middleware ----------------------------------------------------------------------------

class BodyReplay:
    """`receive` that first hands back messages already read, then reads on, counting the
    request body bytes it passes through.

    `__wrapped__` points at the server's own `receive`, for code that needs the connection
    behind it (fault injection drops connections).
    """

    def __init__(self, receive: Receive, buffered: list[Message]) -> None:
        self.__wrapped__ = receive
        self._buffered = buffered
        self.extra_bytes = 0  # body bytes read after the buffered ones
        self.complete = any(m["type"] == "http.request" and not m.get("more_body", False)
                            for m in buffered)

    async def __call__(self) -> Message:
        if self._buffered:
            return self._buffered.pop(0)
        message = await self.__wrapped__()
        if message["type"] == "http.request":
            self.extra_bytes += len(message.get("body", b""))
            self.complete = self.complete or not message.get("more_body", False)
        return message


async def read_prefix(receive: Receive, limit: int) -> tuple[bytes, BodyReplay]:
    """Read the body until `limit` bytes (or its end) are in; returns them and a `receive`
    that replays them to the application before reading on."""
    buffered: list[Message] = []
    data = bytearray()
    while len(data) < limit:
        message = await receive()
        buffered.append(message)
        if message["type"] != "http.request":
            break
        data += message.get("body", b"")
        if not message.get("more_body", False):
            break
    return bytes(data), BodyReplay(receive, buffered)


class JournalMiddleware:
    def __init__(self, app: ASGIApp, journal: Journal, sandbox: Sandbox,
                 edges: Sequence[ProviderEdge]) -> None:
        self.app = app
        self.journal = journal
        self.sandbox = sandbox
        self.edges = edges

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(UNRECORDED_PREFIXES) or path == "/checkout":
            await self.app(scope, receive, send)
            return
        entry = Entry(
            time=self.sandbox.clock.now(),
            provider=next((e.name for e in self.edges if e.owns(path)), None),
            method=scope["method"], path=path, query=scope.get("query_string", b""),
            request_headers=scope.get("headers", ()), started=time.perf_counter(),
        )
        # Read the start of the body up front, so it is recorded even when the route answers
        # without reading it (bad credentials, injected faults).
        prefix, replay = await read_prefix(receive, REQUEST_BODY_LIMIT)
        entry.request_body = prefix[:REQUEST_BODY_LIMIT]

        def settle() -> None:
            entry.request_bytes = len(prefix) + replay.extra_bytes
            entry.request_complete = replay.complete

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
                entry.response_headers = message.get("headers", ())
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                entry.response_bytes += len(chunk)
                room = RESPONSE_BODY_LIMIT - len(entry.response_body)
                if room > 0:
                    entry.response_body += chunk[:room]
                if not message.get("more_body", False):
                    # Held before the client has its whole answer: whoever reads the journal
                    # next, in any process, finds this request.
                    settle()
                    self.journal.record(entry)
            await send(message)

        scope["sandbox.journal_entry"] = entry  # fault injection notes what it did here
        try:
            await self.app(scope, replay, recording_send)
        except Exception:
            if entry.status is None:
                entry.status = 500  # the server's error handler answers outside this layer
            raise
        finally:
            settle()
            self.journal.record(entry)  # a dropped connection or an error: no last byte sent


# --- the routes --------------------------------------------------------------------------------

_STATUS = re.compile(r"[1-5](?:[0-9][0-9]|xx)\Z", re.IGNORECASE)
_ID = re.compile(r"[0-9]{1,18}\Z")  # ASCII digits only: int() takes any Unicode digit


def build_router(journal: Journal, providers: Sequence[str]) -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["request journal"])

    # Plain functions: FastAPI runs them on its thread pool, so reading the journal never holds
    # up the requests being served meanwhile.
    @router.get("/requests")
    def list_requests(
        provider: str | None = Query(None, description="provider name"),
        method: str | None = Query(None, description="HTTP method, any case"),
        path: str | None = Query(None, description="substring of the path"),
        status: str | None = Query(None, description="exact status (404) or a class (4xx)"),
        since: str | None = Query(None, description="only entries with a larger id"),
        limit: str | None = Query(None, description="at most this many (default 100)"),
    ) -> Response:
        """Recorded provider requests, newest first, credentials redacted."""
        if provider is not None and provider not in providers:
            return control_error(400, "unknown_provider", f"no provider named {provider!r}")
        if status is not None and not _STATUS.match(status):
            return control_error(400, "invalid_filter", "status must be a code (404) or a class "
                                                        "(4xx)")
        if since is not None and not _ID.match(since):
            return control_error(400, "invalid_filter", "since must be an entry id")
        if limit is not None and not (_ID.match(limit) and len(limit) < 9 and int(limit) > 0):
            return control_error(400, "invalid_filter", "limit must be a positive whole number")
        count = min(int(limit), journal.capacity) if limit is not None else 100
        found, total = journal.listing(
            provider=provider, method=method.upper() if method is not None else None,
            path=path, status=status, after=int(since) if since is not None else 0, count=count)
        return json_response({"requests": found, "total": total, "capacity": journal.capacity})

    @router.delete("/requests")
    def clear_requests() -> Response:
        """Forget every recorded request."""
        return json_response({"deleted": journal.clear()})

    return router


def install(application: FastAPI, sandbox: Sandbox, edges: Sequence[ProviderEdge]) -> Journal:
    """Record provider traffic, serve the journal, and empty it on a full reset."""
    journal = Journal(sandbox, int(sandbox.options.get("journal_size", DEFAULT_CAPACITY)),
                      shared=bool(sandbox.options.get("shared_database", False)))
    application.add_middleware(JournalMiddleware, journal=journal, sandbox=sandbox, edges=edges)
    application.include_router(build_router(journal, [e.name for e in edges]))

    def on_reset(session: Session, only_provider: str | None, only_tenant: str | None) -> None:
        if only_provider is None and only_tenant is None:
            journal.clear(session)

    sandbox.hooks.on("reset", "sandbox", on_reset)
    return journal
