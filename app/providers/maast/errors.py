"""Maast's error envelope: `{"code", "message", "data"}` with the Platform API code table."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from ...core.errors import CoreError, NotFound, TransitionRefused
from ..edge import json_response

SUCCESS = 0
VALIDATION = 2
FORBIDDEN = 6
NO_SUCH_SERVICE = 7
UNAUTHORIZED = 11
SERVER = 99

_HTTP = {VALIDATION: 400, FORBIDDEN: 403, NO_SUCH_SERVICE: 404, UNAUTHORIZED: 401, SERVER: 500}


class MaastError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def response(self) -> Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            body["data"] = self.data
        headers = {"WWW-Authenticate": 'Basic realm="Maast"'} if self.code == UNAUTHORIZED else None
        return json_response(body, _HTTP[self.code], headers)


def invalid(fields: dict[str, str], message: str | None = None) -> MaastError:
    names = ", ".join(fields)
    return MaastError(VALIDATION, message or f"Invalid request: {names}", fields)


# What each status-bound operation needs, for refusals the engine words generically.
_ALLOWED = {
    "edit_draft": "only SAVED invoices can be updated as drafts",
    "edit_outstanding": "only OUTSTANDING invoices can be updated",
    "send": "only SAVED or OUTSTANDING invoices can be sent",
    "resend": "only OUTSTANDING or PAID invoices can be resent",
    "cancel": "only SAVED or OUTSTANDING invoices can be canceled",
}


def from_core(exc: CoreError) -> MaastError:
    """Rule violations and unknown ids are validation failures (code 2, HTTP 400) in Maast."""
    if isinstance(exc, NotFound):
        field = {"invoice": "invoice_id", "payment": "payment_id"}.get(exc.kind, exc.kind)
        return MaastError(VALIDATION, f"Invalid {field}: {exc.ident} not found",
                          {field: "not found"})
    if isinstance(exc, TransitionRefused) and exc.action in _ALLOWED:
        return MaastError(VALIDATION, f"The invoice is {exc.status}: {_ALLOWED[exc.action]}")
    return MaastError(VALIDATION, exc.message[:1].upper() + exc.message[1:])


def not_found(_: Request) -> Response:
    return MaastError(NO_SUCH_SERVICE, "The service called does not exist").response()


def server_error(_: Request) -> Response:
    return MaastError(SERVER, "Internal server error, please try again later").response()
