"""What every provider edge hands to the application, and helpers all edges share."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.core.sandbox import FixtureLoader, Sandbox

ErrorRenderer = Callable[[Request], Response]


@dataclass(frozen=True)
class ProviderEdge:
    name: str
    prefixes: tuple[str, ...]  # paths this provider owns, for 404/405/500 rendering
    router: APIRouter
    not_found: ErrorRenderer  # unknown path or method under a prefix
    server_error: ErrorRenderer  # unexpected fault, in the provider's own shape
    fixture_loader: FixtureLoader | None = None

    def owns(self, path: str) -> bool:
        return any(path == p.rstrip("/") or path.startswith(p) for p in self.prefixes)


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")
        self.limit = limit


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
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
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(content=body, status_code=status_code, headers=headers,
                    media_type="application/json")


def body_limit(sandbox: Sandbox) -> int:
    return int(sandbox.options.get("max_body_bytes", 1_048_576))
