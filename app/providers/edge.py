"""What every provider edge hands to the application, and helpers all edges share."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from ..core import numbers
from ..core.overview import Breakdown
from ..core.sandbox import FixtureLoader, Sandbox
from ..core.tables import Invoice, Tenant

ErrorRenderer = Callable[[Request], Response]


@dataclass(frozen=True)
class Rendered:
    """A body exactly as the provider's API answers it."""

    media_type: str
    text: str


@dataclass(frozen=True)
class Move:
    """A lifecycle move the sandbox's control plane offers for an invoice."""

    label: str
    method: str
    path: str


@dataclass(frozen=True)
class Views:
    """How the dashboard and the checkout page show a provider's data, each through the
    provider's own rendering: the invoice as its API returns it (`render`), its lines and tax
    (`breakdown`), a tenant's credentials with a ready curl line (`access`, given the base URL),
    the merchant's display name, and the control-plane moves open to an invoice."""

    render: Callable[[Session, Invoice, Tenant], Rendered]
    breakdown: Callable[[Session, Invoice], Breakdown]
    access: Callable[[Tenant, str], dict[str, str]]
    merchant: Callable[[Tenant], str]
    moves: Callable[[Invoice, Tenant], list[Move]] = lambda invoice, tenant: []


class EdgeRouter(APIRouter):
    """FastAPI's router API, registering plain Starlette routes.

    Provider handlers read and validate their own input, so FastAPI's per-request dependency
    solving and response validation would only add cost (and could answer with FastAPI's own
    error body). A handler is called as `handler(request, **path_params)`.
    """

    def add_api_route(self, path: str, endpoint: Callable[..., Any], *,
                      methods: Any = None, **_: Any) -> None:
        names = [n for n in inspect.signature(endpoint).parameters if n != "request"]
        handler: Callable[..., Awaitable[Response]] = endpoint

        async def call(request: Request) -> Response:
            params = request.path_params
            return await handler(request, **{name: params[name] for name in names})

        self.add_route(self.prefix + path, call, methods=list(methods or ["GET"]),
                       include_in_schema=False)


@dataclass(frozen=True)
class ProviderEdge:
    name: str
    prefixes: tuple[str, ...]  # paths this provider owns, for 404/405/500 rendering
    router: APIRouter
    not_found: ErrorRenderer  # unknown path or method under a prefix
    server_error: ErrorRenderer  # unexpected fault, in the provider's own shape
    fixture_loader: FixtureLoader | None = None
    views: Views | None = None

    def owns(self, path: str) -> bool:
        return any(path == p.rstrip("/") or path.startswith(p) for p in self.prefixes)


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")
        self.limit = limit


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and numbers.is_digits(declared) and (
            len(declared) > 18 or int(declared) > limit):  # int() refuses 4,300+ digits
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def json_response(payload: Any, status_code: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    return Response(content=orjson.dumps(payload), status_code=status_code, headers=headers,
                    media_type="application/json")


def body_limit(sandbox: Sandbox) -> int:
    return int(sandbox.options.get("max_body_bytes", 1_048_576))
