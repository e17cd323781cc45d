"""Protection of the control plane (`/_sandbox/...`), as a pure ASGI middleware.

Three checks, in this order:

1. **Allowed hosts** (optional): the control plane and the hosted checkout pages answer only to
   the listed `Host` names (DNS rebinding cannot point a foreign name at them). Provider paths
   are left alone: Harvest takes its account from the Host.
2. **Cross-site writes** (always): a state-changing call (not GET/HEAD/OPTIONS) is refused with
   403 when a browser marks it as coming from another site (`Origin` not this host,
   `Sec-Fetch-Site: cross-site`/`same-site`), or when it is a "simple" request a page on another
   site could send without asking (`text/plain`, form or multipart bodies) and carries no
   custom header. JSON bodies, body-less calls from non-browser clients, and calls with
   `X-Sandbox-Token` or `Authorization` pass.
3. **Control token** (when configured): every `/_sandbox/` call carries it as
   `Authorization: Bearer TOKEN`, `X-Sandbox-Token: TOKEN` or the `sandbox_token` cookie, or
   gets 401. The pages a person opens in a browser (`/_sandbox/docs`, `/_sandbox/ui`) load
   without it; `?token=TOKEN` on them sets the cookie (HttpOnly, SameSite=Strict) and redirects
   to the same page without the token in its address.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from ..settings import Settings
from .errors import control_error

CONTROL_PREFIX = "/_sandbox"
CHECKOUT_PREFIX = "/checkout/"
TOKEN_HEADER = b"x-sandbox-token"
COOKIE = "sandbox_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Content types a cross-site page can send without a CORS preflight.
SIMPLE_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")
# Pages a person opens in a browser; what they show is fetched from token-protected calls.
PAGES = ("/_sandbox/docs", "/_sandbox/ui")


def is_page(path: str) -> bool:
    return any(path == page or path.startswith(page + "/") for page in PAGES)


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    name = _hostname(host)
    for pattern in allowed:
        if pattern.startswith("*."):
            if name == pattern[2:] or name.endswith(pattern[1:]):
                return True
        elif name == pattern:
            return True
    return False


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8080
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class ControlPlaneGuard:
    def __init__(self, app: ASGIApp, token: str | None, allowed_hosts: tuple[str, ...]) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.allowed_hosts = allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        control = path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")
        if not control and not path.startswith(CHECKOUT_PREFIX):
            await self.app(scope, receive, send)  # provider traffic: untouched
            return
        headers = _headers(scope)
        host = headers.get(b"host", b"").decode("latin-1")
        if self.allowed_hosts and not host_allowed(host, self.allowed_hosts):
            await control_error(403, "host_not_allowed",
                                f"Host {host!r} is not in the allowed hosts")(scope, receive, send)
            return
        if not control:
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        if method not in SAFE_METHODS:
            reason = cross_site(headers, host)
            if reason:
                await control_error(403, "cross_site", reason)(scope, receive, send)
                return
        if self.token is not None:
            presented = _presented_token(headers)
            valid = presented is not None and hmac.compare_digest(presented, self.token)
            if is_page(path) and method in SAFE_METHODS:
                offered = _query_token(scope)
                if offered is not None:
                    await self._adopt(offered, scope, receive, send)
                    return
            elif not valid:
                response = control_error(
                    401, "unauthorized",
                    "this sandbox's control plane needs its token: send 'Authorization: Bearer "
                    "TOKEN' or 'X-Sandbox-Token: TOKEN'")
                response.headers["WWW-Authenticate"] = 'Bearer realm="invoice-sandbox"'
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _adopt(self, offered: bytes, scope: Scope, receive: Receive, send: Send) -> None:
        """`?token=` on a page: keep it in a cookie and show the page without it."""
        assert self.token is not None
        if not hmac.compare_digest(offered, self.token):
            await control_error(401, "unauthorized", "wrong token")(scope, receive, send)
            return
        rest = [(k, v) for k, v in parse_qsl(scope["query_string"].decode("latin-1"))
                if k != "token"]
        location = scope["path"] + (f"?{urlencode(rest)}" if rest else "")
        cookie = (f"{COOKIE}={offered.decode()}; Path={CONTROL_PREFIX}; HttpOnly; "
                  "SameSite=Strict")
        await send({"type": "http.response.start", "status": 303,
                    "headers": [(b"location", location.encode("latin-1")),
                                (b"set-cookie", cookie.encode("latin-1")),
                                (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


def cross_site(headers: dict[bytes, bytes], host: str) -> str | None:
    """Why a state-changing call looks like one a page on another site made, or None."""
    fetch_site = headers.get(b"sec-fetch-site", b"").decode("latin-1").lower()
    if fetch_site in ("cross-site", "same-site"):
        return "cross-site requests cannot change the sandbox"
    origin = headers.get(b"origin")
    if origin is not None:
        text = origin.decode("latin-1")
        if text == "null" or urlsplit(text).netloc.lower() != host.lower():
            return f"requests from origin {text!r} cannot change the sandbox"
    custom = TOKEN_HEADER in headers or b"authorization" in headers
    ctype = headers.get(b"content-type", b"").decode("latin-1").lower().strip()
    if not custom and ctype.startswith(SIMPLE_TYPES):
        return ("send a JSON body (Content-Type: application/json) or an X-Sandbox-Token "
                "header; form and text/plain bodies are refused")
    return None


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope["headers"]}


def _presented_token(headers: dict[bytes, bytes]) -> bytes | None:
    if TOKEN_HEADER in headers:
        return headers[TOKEN_HEADER].strip()
    auth = headers.get(b"authorization", b"")
    scheme, _, value = auth.partition(b" ")
    if scheme.lower() == b"bearer" and value.strip():
        return value.strip()
    raw_cookie = headers.get(b"cookie")
    if raw_cookie:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw_cookie.decode("latin-1"))
        except Exception:  # a malformed Cookie header carries no token
            return None
        if COOKIE in jar:
            kept: str = jar[COOKIE].value
            return kept.encode("latin-1")
    return None


def _query_token(scope: Scope) -> bytes | None:
    query: str = scope["query_string"].decode("latin-1")
    for key, value in parse_qsl(query):
        if key == "token":
            return value.encode("latin-1")
    return None


def install(application: FastAPI, settings: Settings) -> None:
    """Added last, so it runs first: a refused call touches neither the journal nor faults."""
    application.add_middleware(ControlPlaneGuard, token=settings.control_token,
                               allowed_hosts=settings.allowed_hosts)
