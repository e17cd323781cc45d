"""Fault injection: rules that delay a provider request, fail it with that provider's own server
error, or drop its connection, for the next N matches or with a probability.

A pure ASGI middleware checks the rules before routing, so a failed or dropped request never
reaches the provider's route and writes nothing. Only provider paths (owned by an edge) can be
faulted: the control plane always answers, so a rule can always be removed again.
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

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from sqlmodel import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core.clock import iso_utc
from ..core.sandbox import Sandbox
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
    pattern: re.Pattern[str] | None = field(default=None, repr=False)

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
    pattern = None
    if path_regex is not None:
        try:
            pattern = re.compile(path_regex)
        except re.error as exc:
            raise FaultInvalid(f"path_regex is not a valid regular expression: {exc}") from None
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
        "path": path, "path_regex": path_regex, "pattern": pattern,
        "tenant": _text(body, "tenant", 255), "ms": ms, "status": status, "times": times,
        "remaining": times, "probability": float(probability) if probability is not None else None,
    }


class FaultRules:
    """The active rules, in creation order; the first one that fires decides."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rules: list[FaultRule] = []
        self._next_id = 1
        self._rng = rng or random.Random()

    def add(self, fields: dict[str, Any], now: datetime) -> FaultRule:
        if len(self.rules) >= MAX_RULES:
            raise FaultInvalid(f"at most {MAX_RULES} fault rules; delete some first")
        rule = FaultRule(id=self._next_id, created_at=now, **fields)
        self._next_id += 1
        self.rules.append(rule)
        return rule

    def get(self, rule_id: int) -> FaultRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def remove(self, rule_id: int) -> FaultRule | None:
        rule = self.get(rule_id)
        if rule is not None:
            self.rules.remove(rule)
        return rule

    def clear(self) -> int:
        removed = len(self.rules)
        self.rules = []
        return removed

    def needs_tenant(self, provider: str, method: str, path: str) -> bool:
        return any(r.tenant is not None and r.matches(provider, method, path) for r in self.rules)

    def pick(self, provider: str, method: str, path: str, tenant: str | None) -> FaultRule | None:
        # No await in here: choosing a rule and counting it down happen in one step.
        for rule in self.rules:
            if not rule.matches(provider, method, path):
                continue
            if rule.tenant is not None and rule.tenant != tenant:
                continue
            if rule.probability is not None and not self._rng.random() < rule.probability:
                continue
            if rule.remaining is not None:
                rule.remaining -= 1
            rule.hits += 1
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
        if scope["type"] != "http" or not self.faults.rules:
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
        return faults.get(int(raw_id)) if raw_id.isdigit() and len(raw_id) <= 18 else None

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
    faults = FaultRules()
    application.add_middleware(FaultMiddleware, faults=faults, edges=edges)
    application.include_router(build_router(faults, sandbox, [e.name for e in edges]))

    def on_reset(_: Session, only_provider: str | None, only_tenant: str | None) -> None:
        if only_provider is None and only_tenant is None:
            faults.clear()

    sandbox.hooks.on("reset", "sandbox", on_reset)
    return faults
