"""`/_sandbox/...`: health, reset, clock and outgoing deliveries."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..core import fixtures, invoices, webhooks
from ..core.clock import ClockError
from ..core.sandbox import Sandbox
from ..providers.edge import json_response
from .bodies import BadBody, json_object
from .errors import control_error

PROVIDER_SPECS = {
    name: Path(__file__).resolve().parent.parent / "providers" / name / "openapi.json"
    for name in ("maast", "harvest", "payone", "transportone")
}


def build_router(sandbox: Sandbox, providers: list[str]) -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["control plane"])

    @router.get("/health")
    async def health() -> Response:
        """Ready to serve; cheap, writes nothing."""
        return json_response({
            "status": "ok",
            "version": __version__,
            "providers": providers,
            "auth": "strict" if sandbox.tenants.strict else "open",
            "clock": sandbox.clock.state(),
        })

    @router.post("/reset")
    async def reset(provider: str | None = Query(None),
                    tenant: str | None = Query(None)) -> Response:
        """Wipe state (all, one provider's, or one tenant's) and reload the fixtures."""
        if provider is not None and provider not in providers:
            return control_error(400, "unknown_provider", f"no provider named {provider!r}")
        try:
            # Off the event loop: other requests go on being served meanwhile, and see the
            # old state until the reset commits.
            removed = await run_in_threadpool(fixtures.reset, sandbox, provider, tenant)
        except fixtures.FixtureError as exc:
            return control_error(500, "fixtures", str(exc))
        return json_response({"status": "ok", "provider": provider, "tenant": tenant,
                              "tenants_removed": removed})

    @router.get("/clock")
    async def get_clock() -> Response:
        return json_response(sandbox.clock.state())

    @router.post("/clock")
    async def change_clock(request: Request) -> Response:
        """`{"freeze": bool}`, `{"set": ISO-8601}`, `{"advance": seconds}` (combinable)."""
        try:
            body = await json_object(request)
        except BadBody as exc:
            return exc.response()
        unknown = set(body) - {"freeze", "set", "advance"}
        if unknown:
            return control_error(400, "invalid_clock", f"unknown keys: {sorted(unknown)}")
        freeze, instant, advance = body.get("freeze"), body.get("set"), body.get("advance")
        if freeze is not None and not isinstance(freeze, bool):
            return control_error(400, "invalid_clock", "freeze must be true or false")
        if advance is not None and (isinstance(advance, bool)
                                    or not isinstance(advance, (int, float))):
            return control_error(400, "invalid_clock", "advance must be a number of seconds")
        when: datetime | None = None
        if instant is not None:
            try:
                when = datetime.fromisoformat(str(instant).replace("Z", "+00:00"))
            except ValueError:
                return control_error(400, "invalid_clock", "set must be an ISO-8601 instant")
        try:
            seconds = None if advance is None else float(advance)
            sandbox.clock.change(instant=when, advance=seconds, freeze=freeze)
        except OverflowError:  # an integer too large for a float
            return control_error(400, "invalid_clock", "advance is out of range")
        except ClockError as exc:
            return control_error(400, "invalid_clock", str(exc))
        with sandbox.db.write() as session:
            invoices.expire_due(session, sandbox.clock.now())
        return json_response(sandbox.clock.state())

    @router.get("/openapi/{provider}.json")
    async def provider_openapi(provider: str) -> Response:
        """The OpenAPI description of a provider's API as the sandbox serves it."""
        document = PROVIDER_SPECS.get(provider)
        if document is None or not document.is_file():
            return control_error(404, "not_found", f"no OpenAPI description for {provider!r}")
        return Response(document.read_bytes(), media_type="application/json")

    @router.get("/deliveries")
    async def deliveries(provider: str | None = Query(None), since: str | None = Query(None),
                         limit: str | None = Query(None)) -> Response:
        """Outgoing notifications (webhooks, callbacks) with every delivery attempt, oldest
        first: `limit` rows (default 100, at most 1000) after the id `since`; `next_since`
        fetches the next page (null on the last). Attempts show a short outcome only;
        callback secrets are redacted. Finished rows beyond the newest 1000 are pruned."""
        try:
            after = _count(since, "since", 0, None)
            size = _count(limit, "limit", webhooks.LIST_LIMIT, webhooks.LIST_LIMIT_MAX)
        except ValueError as exc:
            return control_error(400, "invalid_query", str(exc))
        with sandbox.db.read() as session:
            rows, next_since = webhooks.list_deliveries(session, provider, since=after,
                                                        limit=size)
        return json_response({"deliveries": [webhooks.describe(d) for d in rows],
                              "next_since": next_since})

    return router


def _count(value: str | None, name: str, default: int, most: int | None) -> int:
    """A query parameter of ASCII digits (not Unicode digits such as "²")."""
    if value is None or value == "":
        return default
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise ValueError(f"{name} must be a whole number")
    number = int(value)
    if most is not None and not 1 <= number <= most:
        raise ValueError(f"{name} must be between 1 and {most}")
    return number
