"""The request journal: every request a client sent to a provider path, newest first.

A pure ASGI middleware keeps the hot path cheap: it stores raw bytes (headers, the first few KiB
of each body) in a bounded ring, and only decodes and redacts credentials when someone reads
`GET /_sandbox/requests`. Control-plane calls (`/_sandbox/...`) and the hosted checkout pages
(`/checkout/...`) are not recorded; requests to unknown paths are, with `provider: null`, so a
client pointed at a wrong base path shows up too.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import Response
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.clock import iso_utc
from ..core.sandbox import Sandbox
from ..providers.edge import ProviderEdge, json_response
from .errors import control_error

DEFAULT_CAPACITY = 1000
REQUEST_BODY_LIMIT = 4096
RESPONSE_BODY_LIMIT = 8192
REDACTED = "[redacted]"
UNRECORDED_PREFIXES = ("/_sandbox", "/checkout/")

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-coreos-access", "cookie"})
SECRET_PARAMS = frozenset({"access_token", "authenticationtoken", "clientsecret", "client_secret",
                           "accesstoken", "refresh_token", "password"})
_SECRET_JSON = re.compile(
    r'("(?:authenticationToken|clientSecret|client_secret|accessToken|access_token'
    r'|refreshToken|refresh_token|password)"\s*:\s*)'
    # a string (possibly cut off by truncation) or a bare scalar
    r'("(?:[^"\\]|\\.)*(?:"|$)|[^\s,}\]]+)',
    re.IGNORECASE,
)


# --- redaction (at read time) ------------------------------------------------------------------

def redact_json_text(text: str) -> str:
    return _SECRET_JSON.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)


def redact_pairs(raw: str) -> str:
    """A query string or form body: secret fields blanked, JSON inside values redacted, every
    other byte kept as sent (so a malformed body still reads as it arrived)."""
    parts = []
    for segment in raw.split("&"):
        name, sep, value = segment.partition("=")
        if unquote_plus(name).lower() in SECRET_PARAMS and sep:
            parts.append(f"{name}={REDACTED}")
            continue
        decoded = unquote_plus(value)
        cleaned = redact_json_text(decoded)
        parts.append(segment if cleaned == decoded else f"{name}{sep}{quote_plus(cleaned)}")
    return "&".join(parts)


def redact_header(name: str, value: str) -> str:
    if name not in SECRET_HEADERS:
        return value
    scheme, space, rest = value.strip().partition(" ")
    # Keep the scheme visible ("Basic", "Bearer"): it is what most auth mix-ups are about.
    if name in ("authorization", "proxy-authorization") and space and rest:
        return f"{scheme} {REDACTED}"
    return REDACTED


def _headers(raw: Iterable[tuple[bytes, bytes]], redact: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in raw:
        name = key.decode("latin-1").lower()
        text = value.decode("latin-1")
        if redact:
            text = redact_header(name, text)
        out[name] = f"{out[name]}, {text}" if name in out else text
    return out


def _body_text(body: bytes | bytearray, content_type: str) -> str:
    text = body.decode("utf-8", "replace")
    if "x-www-form-urlencoded" in content_type:
        return redact_pairs(text)
    return redact_json_text(text)


# --- the ring ----------------------------------------------------------------------------------

@dataclass(slots=True)
class Entry:
    id: int
    time: datetime
    provider: str | None
    method: str
    path: str
    query: bytes
    request_headers: Sequence[tuple[bytes, bytes]]
    request_body: bytearray = field(default_factory=bytearray)
    request_bytes: int = 0
    request_complete: bool = True
    status: int | None = None
    response_headers: Sequence[tuple[bytes, bytes]] = ()
    response_body: bytearray = field(default_factory=bytearray)
    response_bytes: int = 0
    duration_ms: float = 0.0
    fault: dict[str, Any] | None = None

    def describe(self) -> dict[str, Any]:
        request_headers = _headers(self.request_headers, redact=True)
        response_headers = _headers(self.response_headers, redact=False)
        return {
            "id": self.id,
            "time": iso_utc(self.time),
            "provider": self.provider,
            "method": self.method,
            "path": self.path,
            "query": redact_pairs(self.query.decode("latin-1")),
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "fault": self.fault,
            "request": {
                "headers": request_headers,
                "body": _body_text(self.request_body, request_headers.get("content-type", "")),
                "body_bytes": self.request_bytes,
                "truncated": (self.request_bytes > len(self.request_body)
                              or not self.request_complete),
            },
            "response": {
                "headers": response_headers,
                "body": _body_text(self.response_body, ""),
                "body_bytes": self.response_bytes,
                "truncated": self.response_bytes > len(self.response_body),
            },
        }


class Journal:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._entries: deque[Entry] = deque(maxlen=capacity)
        self._next_id = 1

    @property
    def capacity(self) -> int:
        return self._entries.maxlen or 0

    def resize(self, capacity: int) -> None:
        """Keep the newest `capacity` entries from now on."""
        self._entries = deque(self._entries, maxlen=capacity)

    def open(self, **fields: Any) -> Entry:
        entry = Entry(id=self._next_id, **fields)
        self._next_id += 1
        self._entries.append(entry)  # the oldest entry falls out of the ring
        return entry

    def clear(self) -> int:
        removed = len(self._entries)
        self._entries.clear()  # ids keep counting up, so a stale id never names a new entry
        return removed

    def entries(self) -> list[Entry]:
        return list(reversed(self._entries))


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
        started = time.perf_counter()
        entry = self.journal.open(
            time=self.sandbox.clock.now(),
            provider=next((e.name for e in self.edges if e.owns(path)), None),
            method=scope["method"], path=path, query=scope.get("query_string", b""),
            request_headers=scope.get("headers", ()),
        )
        # Read the start of the body up front, so it is recorded even when the route answers
        # without reading it (bad credentials, injected faults).
        prefix, replay = await read_prefix(receive, REQUEST_BODY_LIMIT)
        entry.request_body += prefix[:REQUEST_BODY_LIMIT]
        entry.request_bytes = len(prefix)

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
            await send(message)

        scope["sandbox.journal_entry"] = entry  # fault injection notes what it did here
        try:
            await self.app(scope, replay, recording_send)
        except Exception:
            if entry.status is None:
                entry.status = 500  # the server's error handler answers outside this layer
            raise
        finally:
            entry.request_bytes = len(prefix) + replay.extra_bytes
            entry.request_complete = replay.complete
            entry.duration_ms = (time.perf_counter() - started) * 1000.0


# --- the routes --------------------------------------------------------------------------------

_STATUS = re.compile(r"^[1-5](?:\d\d|xx)$", re.IGNORECASE)


def _matches_status(status: int | None, wanted: str) -> bool:
    if status is None:
        return False
    if wanted[1:].lower() == "xx":
        return status // 100 == int(wanted[0])
    return status == int(wanted)


def build_router(journal: Journal, providers: Sequence[str]) -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["request journal"])

    @router.get("/requests")
    async def list_requests(
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
        if since is not None and not (since.isdigit() and len(since) <= 18):
            return control_error(400, "invalid_filter", "since must be an entry id")
        if limit is not None and not (limit.isdigit() and len(limit) < 9 and int(limit) > 0):
            return control_error(400, "invalid_filter", "limit must be a positive whole number")
        count = min(int(limit), journal.capacity) if limit is not None else 100
        wanted_method = method.upper() if method is not None else None
        after = int(since) if since is not None else 0
        found = [
            e for e in journal.entries()
            if e.id > after
            and (provider is None or e.provider == provider)
            and (wanted_method is None or e.method == wanted_method)
            and (path is None or path in e.path)
            and (status is None or _matches_status(e.status, status))
        ]
        return json_response({"requests": [e.describe() for e in found[:count]],
                              "total": len(found), "capacity": journal.capacity})

    @router.delete("/requests")
    async def clear_requests() -> Response:
        """Forget every recorded request."""
        return json_response({"deleted": journal.clear()})

    return router


def install(application: FastAPI, sandbox: Sandbox, edges: Sequence[ProviderEdge]) -> Journal:
    """Record provider traffic, serve the journal, and empty it on a full reset."""
    journal = Journal(int(sandbox.options.get("journal_size", DEFAULT_CAPACITY)))
    application.add_middleware(JournalMiddleware, journal=journal, sandbox=sandbox, edges=edges)
    application.include_router(build_router(journal, [e.name for e in edges]))

    def on_reset(_: Session, only_provider: str | None, only_tenant: str | None) -> None:
        if only_provider is None and only_tenant is None:
            journal.clear()

    sandbox.hooks.on("reset", "sandbox", on_reset)
    return journal
