"""`GET /_sandbox/snapshot` exports the state as one JSON document; `POST` restores one."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ..core import snapshot
from ..core.sandbox import Sandbox
from ..providers.edge import BodyTooLarge, json_response, read_body
from .errors import control_error

# A snapshot holds whole tables; a test suite's state is far below this.
MAX_BYTES = 512 * 1024 * 1024


def build_router(sandbox: Sandbox, providers: Sequence[str]) -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["snapshots"])

    @router.get("/snapshot")
    async def export(provider: str | None = Query(None),
                     tenant: str | None = Query(None)) -> Response:
        """The whole state (or one provider's, or one tenant's) as a versioned document."""
        if provider is not None and provider not in providers:
            return control_error(400, "unknown_provider", f"no provider named {provider!r}")
        return json_response(snapshot.document(sandbox, snapshot.Scope(provider, tenant)))

    @router.post("/snapshot")
    async def restore(request: Request) -> Response:
        """Replace the state of the document's scope with the document's, ids included."""
        try:
            doc = orjson.loads(await read_body(request, MAX_BYTES))
        except BodyTooLarge:
            return control_error(413, "too_large", f"a snapshot is at most {MAX_BYTES} bytes")
        except orjson.JSONDecodeError:
            return control_error(400, "invalid_json", "the body must be a snapshot document")
        try:
            return json_response(snapshot.restore(sandbox, doc))
        except snapshot.SnapshotError as exc:
            return control_error(exc.status, exc.code, exc.message)

    return router
