"""Harvest's failures as it served them: HTML pages for 404/500, a bare 401 for Basic, a JSON
`invalid_token` for OAuth, 400 + `Hint` for refused state changes, 422 `<errors>`, 503 throttle.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from ...core.errors import CoreError, NotFound, TransitionRefused
from . import codec
from .negotiate import JSON, XML, content_type

NOT_FOUND_PAGE = b"""<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>HARVEST: Can't find page</title>
</head>
<body>
  <h1>Can't find page</h1>
  <p>The page you were looking for doesn't exist. You may have mistyped the address or the
  page may have moved.</p>
</body>
</html>
"""

SERVER_ERROR_PAGE = b"""<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>HARVEST: We're sorry, but something went wrong (500)</title>
</head>
<body>
  <h1>We're sorry, but something went wrong.</h1>
  <p>We've been notified about this issue and we'll take a look at it shortly.</p>
</body>
</html>
"""

BASIC_DENIED = b"HTTP Basic: Access denied.\n"
# Rack::OAuth2's wording and realm, as the real service sent them.
INVALID_TOKEN = ("The access token provided is expired, revoked, malformed or invalid for "
                 "other reasons.")
OAUTH_REALM = "Rack::OAuth2 Protected Resources"

_HTML = "text/html; charset=utf-8"

# Why each refused action was refused, sent in the `Hint` header.
HINTS = {
    "send": "Closed invoices cannot be sent. Re-open the invoice first.",
    "mark_as_sent": "Only draft invoices can be marked as sent.",
    "mark_as_closed": "Only open or partially paid invoices can be closed.",
    "re_open": "Only closed invoices can be re-opened.",
    "mark_as_draft": "Only open invoices without payments can be marked as draft.",
    "record_payment": "Payments cannot be recorded on a closed invoice. Re-open it first.",
    "remove_payment": "Payments of a closed invoice cannot be deleted. Re-open it first.",
}


class HarvestError(Exception):
    """A failure with its complete response; `fmt` is the negotiated format (xml/json)."""

    def response(self, fmt: str) -> Response:
        raise NotImplementedError


class PageNotFound(HarvestError):
    def response(self, fmt: str) -> Response:
        return Response(NOT_FOUND_PAGE, 404, media_type=_HTML)


class BadCredentials(HarvestError):
    def response(self, fmt: str) -> Response:
        return Response(BASIC_DENIED, 401, headers={"WWW-Authenticate": 'Basic realm="Harvest"'},
                        media_type="text/plain; charset=utf-8")


class InvalidToken(HarvestError):
    def response(self, fmt: str) -> Response:
        body = ('{"error":"invalid_token","error_description":"' + INVALID_TOKEN + '"}').encode()
        challenge = (f'Bearer realm="{OAUTH_REALM}", error="invalid_token", '
                     f'error_description="{INVALID_TOKEN}"')
        return Response(body, 401, headers={"WWW-Authenticate": challenge},
                        media_type="application/json; charset=utf-8")


class Invalid(HarvestError):
    """422 with the messages as `<errors><error>...</error></errors>` (or JSON)."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)

    def response(self, fmt: str) -> Response:
        return errors_response(self.messages, 422, fmt)


class Refused(HarvestError):
    """400: the invoice's state does not allow this; the reason goes in the `Hint` header."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint

    def response(self, fmt: str) -> Response:
        response = errors_response([self.hint], 400, fmt)
        response.headers["Hint"] = self.hint
        return response


class Throttled(HarvestError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"throttled for {retry_after}s")
        self.retry_after = retry_after

    def response(self, fmt: str) -> Response:
        return Response(
            f"You have exceeded the API throttle limit. Retry after {self.retry_after} "
            f"seconds.\n".encode(),
            503, headers={"Retry-After": str(self.retry_after)},
            media_type="text/plain; charset=utf-8",
        )


def errors_response(messages: list[str], status: int, fmt: str) -> Response:
    if fmt == JSON:
        return Response(codec.render_errors_json(messages), status, media_type=content_type(JSON))
    return Response(codec.render_errors_xml(messages), status, media_type=content_type(XML))


def from_core(exc: CoreError) -> HarvestError:
    if isinstance(exc, NotFound):
        return PageNotFound(exc.message)
    if isinstance(exc, TransitionRefused):
        return Refused(HINTS.get(exc.action, exc.message[:1].upper() + exc.message[1:]))
    return Invalid(exc.message[:1].upper() + exc.message[1:])


def not_found(_: Request) -> Response:
    return PageNotFound().response(XML)


def server_error(request: Request) -> Response:
    return Response(SERVER_ERROR_PAGE, 500, media_type=_HTML)

