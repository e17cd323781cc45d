"""Fault injection: rules that delay a provider request, fail it with that provider's own server
error, or drop its connection, for the next N matches or with a probability.

A pure ASGI middleware checks the rules before routing, so a failed or dropped request never
reaches the provider's route and writes nothing. Only provider paths (owned by an edge) can be
faulted: the control plane always answers, so a rule can always be removed again.

Rules are rows, shared by every process on the database; a firing is counted with one
conditional UPDATE, so a rule for N matches fires N times in all, whichever process serves them.
Path patterns run on RE2, in time linear in the path.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import inspect
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import re2
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, col, select
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core.clock import iso_utc
from ..core.db import sql
from ..core.sandbox import Sandbox
from ..core.tables import FaultRuleRow
from ..providers.edge import ProviderEdge, json_response
from .bodies import BadBody, json_object
from .errors import control_error
from .journal import read_prefix

ACTIONS = ("delay", "error", "drop")
FIELDS = frozenset({"provider", "method", "path", "path_regex", "tenant", "action", "ms",
                    "status", "times", "probability"})
MAX_RULES = 100
MAX_DELAY_MS = 300_000
TENANT_BODY_LIMIT = 65536
TRANSPORTONE_HOSTS = (".localhost", ".sandbox.getos1.com", ".logistax.io")
_METHOD = re.compile(r"^[A-Za-z]{1,16}$")
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # the client gets the reason; the server log stays quiet


class FaultInvalid(ValueError):
    pass


@dataclass
class FaultRule:
    id: int
    action: str
    created_at: datetime
    provider: str | None = None
    method: str | None = None
    path: str | None = None
    path_regex: str | None = None
    tenant: str | None = None
    ms: int | None = None
    status: int | None = None
    times: int | None = None
    probability: float | None = None
    remaining: int | None = None  # of `times`; None means unlimited
    hits: int = 0
    pattern: Any = field(default=None, repr=False)  # a compiled re2 pattern

    @property
    def live(self) -> bool:
        return self.remaining is None or self.remaining > 0

    def matches(self, provider: str, method: str, path: str) -> bool:
        """Everything but the tenant, which may cost a body read to learn."""
        return (self.live
                and (self.provider is None or self.provider == provider)
                and (self.method is None or self.method == method)
                and (self.path is None or path.startswith(self.path))
                and (self.pattern is None or self.pattern.search(path) is not None))

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id, "provider": self.provider, "method": self.method, "path": self.path,
            "path_regex": self.path_regex, "tenant": self.tenant, "action": self.action,
            "ms": self.ms, "status": self.status, "times": self.times,
            "probability": self.probability, "remaining": self.remaining, "hits": self.hits,
            "created_at": iso_utc(self.created_at),
        }


def _text(body: dict[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise FaultInvalid(f"{name} must be a non-empty string of at most {limit} characters")
    return value


def _whole(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FaultInvalid(f"{name} must be a whole number from {low} to {high}")
    return value


def parse_rule(body: dict[str, Any], providers: Sequence[str]) -> dict[str, Any]:
    """The fields of a new rule, or FaultInvalid naming the first problem."""
    unknown = set(body) - FIELDS
    if unknown:
        raise FaultInvalid(f"unknown fields: {sorted(unknown)}")
    action = body.get("action")
    if action not in ACTIONS:
        raise FaultInvalid("action must be one of delay, error, drop")
    provider = _text(body, "provider", 40)
    if provider is not None and provider not in providers:
        raise FaultInvalid(f"no provider named {provider!r}")
    method = _text(body, "method", 16)
    if method is not None and not _METHOD.match(method):
        raise FaultInvalid("method must be an HTTP method such as POST")
    path = _text(body, "path", 2000)
    if path is not None and not path.startswith("/"):
        raise FaultInvalid("path is a prefix of the request path and must start with /")
    path_regex = _text(body, "path_regex", 1000)
    if path_regex is not None:
        compile_path_regex(path_regex)
    ms = _whole(body, "ms", 0, MAX_DELAY_MS)
    if action == "delay" and ms is None:
        raise FaultInvalid("a delay needs ms (milliseconds)")
    status = _whole(body, "status", 400, 599)
    if status is not None and action != "error":
        raise FaultInvalid("status only applies to the error action")
    times = _whole(body, "times", 1, 1_000_000)
    probability = body.get("probability")
    if probability is not None and (isinstance(probability, bool)
                                    or not isinstance(probability, (int, float))
                                    or not 0 <= probability <= 1):
        raise FaultInvalid("probability must be a number from 0 to 1")
    return {
        "action": action, "provider": provider, "method": method.upper() if method else None,
        "path": path, "path_regex": path_regex,
        "tenant": _text(body, "tenant", 255), "ms": ms, "status": status, "times": times,
        "remaining": times, "probability": float(probability) if probability is not None else None,
    }


def compile_path_regex(path_regex: str) -> Any:
    """RE2 runs in time linear in the path, so no pattern (`(a+)+$`) can stall the server;
    it refuses what needs backtracking (back-references, look-arounds)."""
    try:
        return re2.compile(path_regex, options=_RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise FaultInvalid(f"path_regex is not a valid RE2 regular expression: {reason}") from None


def _rule(row: FaultRuleRow) -> FaultRule:
    assert row.id is not None
    return FaultRule(
        id=row.id, action=row.action, created_at=row.created_at, provider=row.provider,
        method=row.method, path=row.path, path_regex=row.path_regex, tenant=row.tenant,
        ms=row.ms, status=row.status, times=row.times, probability=row.probability,
        remaining=row.remaining, hits=row.hits,
        pattern=compile_path_regex(row.path_regex) if row.path_regex is not None else None)


_ROWS = FaultRuleRow.__table__  # type: ignore[attr-defined]


class FaultRules:
    """The rules, rows shared by every process, in creation order; the first that fires
    decides. Each process keeps them compiled while the sandbox's generation holds (every
    change to the rules bumps it); the state row's rule count lets requests skip them all
    when there are none."""

    def __init__(self, sandbox: Sandbox, rng: random.Random | None = None) -> None:
        self.db = sandbox.db
        self.state = sandbox.state
        self._rng = rng or random.Random()
        self._active: list[FaultRule] = []
        self._generation = -1

    @property
    def rules(self) -> list[FaultRule]:
        """Every rule as stored now, with its counts."""
        with self.db.read() as session:
            rows = session.exec(select(FaultRuleRow).order_by(col(FaultRuleRow.id))).all()
        return [_rule(r) for r in rows]

    def active(self) -> list[FaultRule]:
        snapshot = self.state.current()
        if snapshot.fault_rules == 0:
            return []
        if snapshot.generation != self._generation:
            self._active, self._generation = self.rules, snapshot.generation
        return self._active

    def _count_changed(self, session: Session) -> None:
        count = session.exec(select(func.count()).select_from(FaultRuleRow)).one()
        self.state.change(session, bump=True, fault_rules=int(count))

    def add(self, fields: dict[str, Any], now: datetime) -> FaultRule:
        with self.db.write() as session:
            count = session.exec(select(func.count()).select_from(FaultRuleRow)).one()
            if count >= MAX_RULES:
                raise FaultInvalid(f"at most {MAX_RULES} fault rules; delete some first")
            row = FaultRuleRow(created_at=now, **fields)
            session.add(row)
            session.flush()
            self.state.change(session, bump=True, fault_rules=int(count) + 1)
            return _rule(row)

    def get(self, rule_id: int) -> FaultRule | None:
        with self.db.read() as session:
            row = session.get(FaultRuleRow, rule_id)
            return _rule(row) if row is not None else None

    def remove(self, rule_id: int) -> FaultRule | None:
        with self.db.write() as session:
            row = session.get(FaultRuleRow, rule_id)
            if row is None:
                return None
            rule = _rule(row)
            session.delete(row)
            session.flush()
            self._count_changed(session)
            return rule

    def clear(self, session: Session | None = None) -> int:
        if session is None:
            with self.db.write() as own:
                return self.clear(own)
        removed = sql(session).execute(delete(_ROWS)).rowcount
        self.state.change(session, bump=True, fault_rules=0)
        return int(removed)

    def needs_tenant(self, provider: str, method: str, path: str) -> bool:
        return any(r.tenant is not None and r.matches(provider, method, path)
                   for r in self.active())

    def _claim(self, rule: FaultRule) -> bool:
        """Count one firing, unless another request (in any process) took the last one."""
        # NULL - 1 stays NULL: an unlimited rule only counts its hits.
        claim = (update(_ROWS)
                 .where(_ROWS.c.id == rule.id,
                        or_(_ROWS.c.remaining.is_(None), _ROWS.c.remaining > 0))
                 .values(remaining=_ROWS.c.remaining - 1, hits=_ROWS.c.hits + 1))
        with self.db.write_sql() as conn:
            claimed = conn.execute(claim).rowcount == 1
        if not claimed:
            rule.remaining = 0  # spent: this process stops matching it
        return claimed

    def pick(self, provider: str, method: str, path: str, tenant: str | None) -> FaultRule | None:
        for rule in self.active():
            if not rule.matches(provider, method, path):
                continue
            if rule.tenant is not None and rule.tenant != tenant:
                continue
            if rule.probability is not None and not self._rng.random() < rule.probability:
                continue
            if self._claim(rule):
                return rule
        return None


# --- who is calling: the tenant key as each provider's credentials name it ---------------------

def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _basic(scope: Scope) -> tuple[str, str] | None:
    header = _header(scope, b"authorization") or ""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:  # Harvest's old clients wrap the token in parentheses
        decoded = base64.b64decode(encoded.strip().strip("()"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def _host_label(scope: Scope, suffixes: tuple[str, ...]) -> str | None:
    """`TENANT` of a `TENANT.localhost`-style Host (the real services use subdomains)."""
    host = (_header(scope, b"host") or "").rsplit(":", 1)[0].lower()
    label, dot, rest = host.partition(".")
    return label if dot and label and "." + rest in suffixes else None


def _payone_merchant(body: bytes) -> str | None:
    form = parse_qs(body.decode("utf-8", "replace"))
    for name in ("invoices", "invoice"):
        for value in form.get(name, ()):
            try:
                document = json.loads(value)
            except ValueError:
                continue
            merchant = document.get("merchantID") if isinstance(document, dict) else None
            if isinstance(merchant, (str, int)) and not isinstance(merchant, bool):
                return str(merchant)
    return None


async def tenant_of(provider: str, scope: Scope, receive: Receive) -> tuple[str | None, Receive]:
    """The tenant key the request's credentials name, and the `receive` to hand on (PayOne's
    merchantID sits in the body, which is then read once and replayed)."""
    if provider == "maast":
        basic = _basic(scope)
        return ((basic[1] or basic[0]) if basic else None), receive
    if provider == "harvest":
        basic = _basic(scope)
        return _host_label(scope, (".localhost", ".harvestapp.com")) or (
            basic[0] if basic else None), receive
    if provider == "transportone":
        tid = (_header(scope, b"x-coreos-tid") or "").strip()
        return tid or _host_label(scope, TRANSPORTONE_HOSTS), receive
    if provider == "payone":
        body, replay = await read_prefix(receive, TENANT_BODY_LIMIT)
        return (_payone_merchant(body) if replay.complete else None), replay
    return None, receive


# --- the middleware ----------------------------------------------------------------------------

async def drop_connection(receive: Receive) -> None:
    """Close the client's connection without a response.

    ASGI has no message for this, so the socket is reached through the server's own `receive`
    (uvicorn's request cycle holds its transport). Without one (an in-process test client)
    nothing is sent and the server decides what the client sees.
    """
    server_receive = inspect.unwrap(receive)
    transport = getattr(getattr(server_receive, "__self__", None), "transport", None)
    if transport is None or not callable(getattr(transport, "close", None)):
        return
    transport.close()
    # Wait until the server has noticed, or it would answer the request with its own 500.
    try:
        async with asyncio.timeout(2.0):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        pass


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: FaultRules, edges: Sequence[ProviderEdge]) -> None:
        self.app = app
        self.faults = faults
        self.edges = edges

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.faults.active():
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        edge = next((e for e in self.edges if e.owns(path)), None)
        if edge is None:
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        tenant = None
        if self.faults.needs_tenant(edge.name, method, path):
            tenant, receive = await tenant_of(edge.name, scope, receive)
        rule = self.faults.pick(edge.name, method, path, tenant)
        if rule is None:
            await self.app(scope, receive, send)
            return
        entry = scope.get("sandbox.journal_entry")
        if entry is not None:
            entry.fault = {"id": rule.id, "action": rule.action}
        if rule.ms:
            await asyncio.sleep(rule.ms / 1000)
        if rule.action == "delay":
            await self.app(scope, receive, send)
        elif rule.action == "error":
            response = edge.server_error(Request(scope, receive))
            if rule.status is not None:
                response.status_code = rule.status
            await response(scope, receive, send)
        else:
            await drop_connection(receive)


# --- the routes --------------------------------------------------------------------------------

def build_router(faults: FaultRules, sandbox: Sandbox, providers: Sequence[str]) -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["fault injection"])

    def unknown(raw_id: str) -> Response:
        return control_error(404, "not_found", f"no fault rule with id {raw_id!r}")

    def find(raw_id: str) -> FaultRule | None:
        valid = raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18
        return faults.get(int(raw_id)) if valid else None

    @router.post("/faults", status_code=201)
    async def create_fault(request: Request) -> Response:
        """Add a rule: match `provider`, `method`, `path` (prefix), `path_regex`, `tenant`; then
        `action` delay (`ms`), error (optional `status`) or drop; `times` and/or
        `probability`."""
        try:
            body = await json_object(request, required=True)
        except BadBody as exc:
            return exc.response()
        try:
            rule = faults.add(parse_rule(body, providers), sandbox.clock.now())
        except FaultInvalid as exc:
            return control_error(400, "invalid_fault", str(exc))
        return json_response(rule.describe(), 201)

    @router.get("/faults")
    async def list_faults() -> Response:
        return json_response({"faults": [r.describe() for r in faults.rules]})

    @router.delete("/faults")
    async def clear_faults() -> Response:
        return json_response({"deleted": faults.clear()})

    @router.get("/faults/{rule_id}")
    async def get_fault(rule_id: str) -> Response:
        rule = find(rule_id)
        return json_response(rule.describe()) if rule is not None else unknown(rule_id)

    @router.delete("/faults/{rule_id}")
    async def delete_fault(rule_id: str) -> Response:
        rule = find(rule_id)
        if rule is None:
            return unknown(rule_id)
        faults.remove(rule.id)
        return json_response(rule.describe())

    return router


def install(application: FastAPI, sandbox: Sandbox, edges: Sequence[ProviderEdge]) -> FaultRules:
    """Apply fault rules to provider traffic, serve their API, and drop them on a full reset."""
    faults = FaultRules(sandbox)
    application.add_middleware(FaultMiddleware, faults=faults, edges=edges)
    application.include_router(build_router(faults, sandbox, [e.name for e in edges]))

    def on_reset(session: Session, only_provider: str | None, only_tenant: str | None) -> None:
        if only_provider is None and only_tenant is None:
            faults.clear(session)

    sandbox.hooks.on("reset", "sandbox", on_reset)
    return faults
