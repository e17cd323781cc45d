"""Who is calling, and for which account.

Credentials: HTTP Basic `email:password` (also the `Basic (base64)` form some old clients sent),
or an OAuth access token as `?access_token=` (or `Authorization: Bearer`, which OAuth client
libraries send). The account (tenant) is the `ACCOUNT` of an `ACCOUNT.localhost` or
`ACCOUNT.harvestapp.com` Host; without one it is the account the user or token belongs to.

Real tokens are base64 (`+`, `/`, `=`) and clients sent them unencoded in the query string, so
the token is read from the raw query: a `+` there is a `+`, not a space.

Open mode: a new email/password creates a new account (named by the Host, or else keyed by the
whole email address) and becomes its first user; it never joins an account that already has
users (see `core.admission`). Tokens exist only when the sandbox issued them (fixtures or
`POST /_sandbox/harvest/accounts/{account}/tokens`); any other token is 401 `invalid_token` in
both modes, as on the real service. Strict mode: only the fixture accounts, users and tokens.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import threading
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import unquote

from fastapi import Request

from ...core import admission, logins, tenant_config
from ...core.sandbox import Sandbox
from ...core.state import note_secret
from ...core.tables import Tenant
from .errors import BadCredentials, InvalidToken

PROVIDER = "harvest"
ACCOUNT_ID_BASE = 100_000
USERS = "users"
TOKEN_BYTES = 41  # 56 base64 characters ending in one `=`, like the tokens Harvest issued

_EMAIL = re.compile(r"[^@\s:]{1,64}@[^@\s:]{1,190}")
_TOKEN = re.compile(r"[\x21-\x7e]{8,512}")
_ACCOUNT = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_HOST_SUFFIXES = (".localhost", ".harvestapp.com")
_NOT_ACCOUNTS = {"api", "www"}  # api.harvestapp.com served OAuth calls for any account


class Principal(NamedTuple):
    """The account (tenant) and the user acting in it."""

    tenant: Tenant
    user: dict[str, Any]


def is_account_label(text: str) -> bool:
    return _ACCOUNT.fullmatch(text) is not None and text not in _NOT_ACCOUNTS


def is_email(text: str) -> bool:
    return _EMAIL.fullmatch(text) is not None


def host_account(request: Request) -> str | None:
    host = (request.headers.get("host") or "").strip().lower()
    host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    for suffix in _HOST_SUFFIXES:
        if host.endswith(suffix):
            label = host[: -len(suffix)]
            if _ACCOUNT.fullmatch(label) and label not in _NOT_ACCOUNTS:
                return label
    return None


def query_token(request: Request) -> str | None:
    """`access_token` from the raw query string, percent-decoded but with `+` kept as `+`."""
    raw = request.scope.get("query_string", b"").decode("latin-1")
    found = None
    for part in raw.split("&"):
        name, _, value = part.partition("=")
        if unquote(name.replace("+", " ")) == "access_token":
            found = unquote(value)
    return found


def make_token() -> str:
    """A new access token shaped like Harvest's: base64 with `+`, `/` and `=` in it."""
    while True:
        token = base64.b64encode(secrets.token_bytes(TOKEN_BYTES)).decode("ascii")
        if "+" in token and "/" in token:
            return token


def _basic(encoded: str) -> tuple[str, str] | None:
    text = "".join(encoded.split())
    if text.startswith("(") and text.endswith(")"):  # "Basic (base64)", as once documented
        text = text[1:-1]
    text += "=" * (-len(text) % 4)
    try:
        decoded = base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    email, sep, password = decoded.partition(":")
    email = email.strip()
    if not sep or not password or len(password) > 256 or not _EMAIL.fullmatch(email):
        return None
    return email, password


def subdomain_for(key: str) -> str:
    """A host label for accounts keyed by an email or token (shown in who_am_i)."""
    if _ACCOUNT.fullmatch(key):
        return key
    return re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")[:63].strip("-") or "sandbox"


def account_defaults(key: str) -> dict[str, Any]:
    sub = subdomain_for(key)
    return {"subdomain": sub, "name": f"{sub} (sandbox)"}


def new_user(tenant: Tenant, email: str, password: str | None, first: str,
             last: str) -> dict[str, Any]:
    return {"id": tenant.public_id * 100 + len(logins.members(tenant, USERS)) + 1,
            "email": email, "password": password, "first_name": first, "last_name": last,
            "admin": True}


class Authenticator:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._account_of_email: dict[str, str] = {}
        self._lock = threading.Lock()

    # --- entry point ------------------------------------------------------------------------

    def authenticate(self, request: Request) -> Principal:
        header = (request.headers.get("authorization") or "").strip()
        scheme, _, rest = header.partition(" ")
        token = query_token(request)
        if token is None and scheme.lower() == "bearer":
            token = rest.strip()
        if token is not None:
            note_secret(token)
            return self._by_token(request, token)
        if scheme.lower() != "basic":
            raise BadCredentials()
        credentials = _basic(rest)
        if credentials is None:
            raise BadCredentials()
        note_secret(credentials[1])
        return self._by_password(request, *credentials)

    # --- Basic ------------------------------------------------------------------------------

    def _by_password(self, request: Request, email: str, password: str) -> Principal:
        now = self.sandbox.clock.now()
        key = host_account(request)
        tenant = self._resolve(key, now) if key else self._account_of(email)
        if tenant is None and key is None and not self.sandbox.tenants.strict:
            tenant = self._resolve(email.lower(), now)
        if tenant is None:
            raise BadCredentials()
        user = logins.member(tenant, USERS, "email", email)
        if user is None:
            local = email.split("@", 1)[0]
            claimed = self._claim(tenant, new_user(tenant, email, password, local, ""))
            if claimed is None:
                raise BadCredentials()  # a new credential never joins an existing account
            tenant, user = claimed
        stored = user.get("password")
        if not isinstance(stored, str) or not secrets.compare_digest(
                stored.encode(), password.encode()):
            raise BadCredentials()
        with self._lock:
            self._account_of_email[email.casefold()] = tenant.key
        return Principal(tenant, user)

    def _account_of(self, email: str) -> Tenant | None:
        cached = self._account_of_email.get(email.casefold())
        if cached is not None:
            tenant = self.sandbox.tenants.lookup(PROVIDER, cached)
            if tenant is not None and logins.member(tenant, USERS, "email", email) is not None:
                return tenant
        with self.sandbox.db.read() as session:
            return logins.tenant_of_member(session, PROVIDER, USERS, "email", email)

    def _resolve(self, key: str, now: datetime) -> Tenant | None:
        return self.sandbox.tenants.resolve(PROVIDER, key, now, public_id_base=ACCOUNT_ID_BASE)

    def _claim(self, tenant: Tenant, user: dict[str, Any]) -> Principal | None:
        """`user` as the account's first user, or the same login already added; None when the
        account has other users (decided on the row read in this write transaction)."""
        assert tenant.id is not None
        with self.sandbox.db.write() as session:
            row = tenant_config.tenant(session, tenant.id)
            existing = logins.member(row, USERS, "email", str(user["email"]))
            if existing is None and not admission.may_register(
                    strict=self.sandbox.tenants.strict,
                    existing_credentials=len(logins.members(row, USERS))):
                return None
            added = logins.add_member(session, tenant.id, USERS, "email", user,
                                      defaults=account_defaults(tenant.key))
        return self._fresh(tenant, added)

    def add_user(self, tenant: Tenant, user: dict[str, Any]) -> Principal:
        """Add a user whatever the account has (fixtures and the control plane)."""
        assert tenant.id is not None
        with self.sandbox.db.write() as session:
            added = logins.add_member(session, tenant.id, USERS, "email", user,
                                      defaults=account_defaults(tenant.key))
        return self._fresh(tenant, added)

    def _fresh(self, tenant: Tenant, user: dict[str, Any]) -> Principal:
        self.sandbox.tenants.forget()  # the cached tenant predates the new member
        fresh = self.sandbox.tenants.lookup(PROVIDER, tenant.key)
        return Principal(fresh or tenant, user)

    # --- OAuth ------------------------------------------------------------------------------

    def _by_token(self, request: Request, token: str) -> Principal:
        if not _TOKEN.fullmatch(token):
            raise InvalidToken()
        now = self.sandbox.clock.now()
        key = host_account(request)
        with self.sandbox.db.read() as session:
            tenant = logins.tenant_of_token(session, token, now)
        if tenant is None:
            raise InvalidToken()  # never issued, or expired: 401 in open and strict mode
        if key is not None and tenant.key != key:
            raise InvalidToken()  # a token of another account
        users = logins.members(tenant, USERS)
        if users:
            return Principal(tenant, users[0])
        sub = subdomain_for(tenant.key)
        return self.add_user(tenant, new_user(tenant, f"owner@{sub}.example.com", None,
                                              "Account", "Owner"))
