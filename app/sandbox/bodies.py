"""Request bodies of the control plane: one JSON object, small, or a control-plane error."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from ..providers.edge import BodyTooLarge, read_body
from .errors import control_error

MAX_BYTES = 65536


class BadBody(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> Response:
        return control_error(self.status, self.code, self.message)


async def json_object(request: Request, *, required: bool = False) -> dict[str, Any]:
    """The body as a JSON object; an empty body is `{}` unless `required`."""
    try:
        raw = await read_body(request, MAX_BYTES)
        body = json.loads(raw) if raw.strip() or required else {}
    except BodyTooLarge:
        raise BadBody(413, "too_large", "request body too large") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadBody(400, "invalid_json", "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadBody(400, "invalid_json", "the body must be a JSON object")
    return body
