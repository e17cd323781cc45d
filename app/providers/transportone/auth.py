"""Client-credentials tokens and the `x-coreos-access` header (the raw token, no `Bearer`).

The tenant of a request: `x-coreos-tid`, else a `TENANT.localhost`-style Host (the real service
is reached on the tenant's subdomain), else the tenant the token was issued for. A tenant named
by header or Host must be the token's own: a token never opens another tenant's data.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime

from fastapi import Request

from ...core import tokens
from ...core.sandbox import Sandbox
from ...core.state import note_secret
from ...core.tables import Tenant
from .errors import invalid, unauthorized
from .wire import TENANT

PROVIDER = "transportone"
TOKEN_TTL_SECONDS = 86400
AUDIENCE = "platform:app:coreos"
HOST_SUFFIXES = (".localhost", ".sandbox.getos1.com", ".logistax.io")


def tenant_hint(request: Request) -> str | None:
    tid = request.headers.get("x-coreos-tid")
    if tid is not None:
        tid = tid.strip()
        if not TENANT.match(tid):
            raise invalid({"x-coreos-tid": "is not a valid tenant id"})
        return tid
    host = request.headers.get("host") or ""
    host = "" if host.startswith("[") else host.rsplit(":", 1)[0]  # no tenant in an IPv6 literal
    for suffix in HOST_SUFFIXES:
        if host.lower().endswith(suffix):
            label = host[: -len(suffix)]
            if label and TENANT.match(label):
                return label
    return None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(tenant_key: str, client_id: str, now: datetime) -> str:
    """JWT-shaped, so clients that read `exp` see the sandbox clock; the signature is random."""
    issued = int(now.timestamp())
    claims = {"iss": "invoice-sandbox", "sub": client_id, "aud": AUDIENCE, "tid": tenant_key,
              "iat": issued, "exp": issued + TOKEN_TTL_SECONDS, "jti": secrets.token_hex(8)}
    header = {"alg": "HS256", "typ": "JWT"}
    return ".".join((_b64(json.dumps(header, separators=(",", ":")).encode()),
                     _b64(json.dumps(claims, separators=(",", ":")).encode()),
                     _b64(secrets.token_bytes(32))))


def authenticate(sandbox: Sandbox, request: Request) -> Tenant:
    token = (request.headers.get("x-coreos-access") or "").strip()
    if not token:
        raise unauthorized("Missing access token: send it in the x-coreos-access header")
    note_secret(token)
    with sandbox.db.read() as session:
        tenant = tokens.verify(session, token, sandbox.clock.now())
    if tenant is None:
        hint = " (send the token without a Bearer prefix)" if token.lower().startswith(
            "bearer ") else ""
        raise unauthorized(f"Invalid or expired access token{hint}")
    wanted = tenant_hint(request)
    if wanted is not None and wanted != tenant.key:
        raise unauthorized(f"The access token was not issued for tenant {wanted}")
    return tenant


def user_name(request: Request) -> str | None:
    """Who acts, from `x-coreos-userinfo` (`{"id", "name"}`); ignored when unreadable."""
    raw = request.headers.get("x-coreos-userinfo")
    if not raw:
        return None
    try:
        info = json.loads(raw)
    except ValueError:
        return None
    except RecursionError:  # ignoring it would still cost a stack's worth of work per request
        raise invalid({"x-coreos-userinfo": "is nested too deeply"}) from None
    if not isinstance(info, dict):
        return None
    for key in ("name", "id"):
        if isinstance(info.get(key), str) and info[key].strip():
            return str(info[key])[:255]
    return None
