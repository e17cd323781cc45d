"""HTTP Basic with an empty user and the API key as password; the key picks the tenant."""

from __future__ import annotations

import base64
import binascii
import re

from fastapi import Request

from ...core.sandbox import Sandbox
from ...core.state import note_secret
from ...core.tables import Tenant
from .errors import UNAUTHORIZED, MaastError

PROVIDER = "maast"
MERCHANT_ID_BASE = 212_000_000_000
_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")  # printable ASCII, no spaces


def api_key(header: str | None) -> str:
    if not header:
        raise MaastError(UNAUTHORIZED, "Unauthorized: HTTP Basic credentials are required")
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise MaastError(UNAUTHORIZED, "Unauthorized: use HTTP Basic authentication")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise MaastError(UNAUTHORIZED, "Unauthorized: malformed Basic credentials") from None
    user, sep, password = decoded.partition(":")
    note_secret(user)
    note_secret(password)
    # Documented form is ":key"; clients that send "key:" are accepted too.
    key = password or user
    if not sep or not _KEY.match(key):
        raise MaastError(UNAUTHORIZED, "Unauthorized: invalid API key")
    return key


def authenticate(sandbox: Sandbox, request: Request) -> Tenant:
    key = api_key(request.headers.get("authorization"))
    tenant = sandbox.tenants.resolve(PROVIDER, key, sandbox.clock.now(),
                                     public_id_base=MERCHANT_ID_BASE)
    if tenant is None:
        raise MaastError(UNAUTHORIZED, "Unauthorized: invalid API key")
    return tenant
