"""The control plane's own error shape: `{"error": {"code", "message"}}`."""

from __future__ import annotations

from fastapi.responses import Response

from ..providers.edge import json_response


def control_error(status: int, code: str, message: str) -> Response:
    return json_response({"error": {"code": code, "message": message}}, status)
