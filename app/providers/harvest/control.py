"""`/_sandbox/harvest/...`: credentials for an account, as Harvest's own admin pages and OAuth
flow would have given them.

* `POST /_sandbox/harvest/accounts/{account}/tokens`: a new OAuth access token for the account
  (body optional: `{"expires_in_hours": 18}`); answers `access_token`, `token_type`,
  `expires_in` and `expires_at`. Tokens look like Harvest's (base64 with `+`, `/`, `=`).
* `POST /_sandbox/harvest/accounts/{account}/users`: add a user who signs in with HTTP Basic
  (`email`, `password`, optional `first_name`, `last_name`, `admin`).

Open mode creates an unknown account; strict mode answers 404 for it. These are the ways, besides
fixtures, to let a new credential into an existing account: API calls never join one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from ...core import logins, tenancy
from ...core.clock import iso_utc
from ...core.sandbox import Sandbox
from ...core.tables import Tenant
from ...sandbox.bodies import BadBody, json_object
from ...sandbox.errors import control_error
from ..edge import json_response
from .auth import (
    ACCOUNT_ID_BASE,
    PROVIDER,
    USERS,
    account_defaults,
    is_account_label,
    is_email,
    make_token,
)
from .auth import new_user as make_user

DEFAULT_TOKEN_HOURS = 18  # what Harvest's OAuth tokens lived
MAX_TOKEN_HOURS = 24 * 365 * 100


class _Invalid(ValueError):
    pass


def _hours(body: dict[str, Any]) -> float:
    value = body.get("expires_in_hours", DEFAULT_TOKEN_HOURS)
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            0 < value <= MAX_TOKEN_HOURS):
        raise _Invalid(f"expires_in_hours must be a number above 0 and at most {MAX_TOKEN_HOURS}")
    return float(value)


def _user_fields(body: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(body) - {"email", "password", "first_name", "last_name", "admin"})
    if unknown:
        raise _Invalid(f"unknown keys: {unknown}")
    email, password = body.get("email"), body.get("password")
    if not isinstance(email, str) or not is_email(email):
        raise _Invalid("email must be an email address")
    if not isinstance(password, str) or not 0 < len(password) <= 256:
        raise _Invalid("password must be 1-256 characters")
    for name in ("first_name", "last_name"):
        if not isinstance(body.get(name, ""), str) or len(body.get(name, "")) > 255:
            raise _Invalid(f"{name} must be text of at most 255 characters")
    if not isinstance(body.get("admin", True), bool):
        raise _Invalid("admin must be true or false")
    return body


def build_router(sandbox: Sandbox) -> APIRouter:
    router = APIRouter(prefix="/_sandbox/harvest", tags=["harvest"])

    def account(session: Session, key: str, now: datetime) -> Tenant | None:
        tenant = tenancy.find(session, PROVIDER, key)
        if tenant is None and not sandbox.tenants.strict:
            tenant = tenancy.create(session, PROVIDER, key, now, public_id_base=ACCOUNT_ID_BASE,
                                    attrs=account_defaults(key))
        return tenant

    def unknown(key: str) -> Response:
        return control_error(404, "not_found", f"no Harvest account {key!r}")

    def bad_key(key: str) -> Response | None:
        if is_account_label(key):
            return None
        return control_error(400, "invalid_account",
                             "the account must be a host label: a-z, 0-9 and '-'")

    @router.post("/accounts/{account_key}/tokens", status_code=201)
    async def issue_token(request: Request, account_key: str) -> Response:
        """Issue an OAuth access token for the account."""
        refused = bad_key(account_key)
        if refused is not None:
            return refused
        try:
            hours = _hours(await json_object(request))
        except BadBody as exc:
            return exc.response()
        except _Invalid as exc:
            return control_error(400, "invalid_token_request", str(exc))
        now = sandbox.clock.now()
        expires = now + timedelta(hours=hours)
        token = make_token()
        with sandbox.db.write() as session:
            tenant = account(session, account_key, now)
            if tenant is None or tenant.id is None:
                return unknown(account_key)
            logins.issue_token(session, tenant.id, token, now, expires)
        return json_response({"account": account_key, "access_token": token,
                              "token_type": "bearer", "expires_in": int(hours * 3600),
                              "expires_at": iso_utc(expires)}, 201)

    @router.post("/accounts/{account_key}/users", status_code=201)
    async def add_user(request: Request, account_key: str) -> Response:
        """Add a user (HTTP Basic email and password) to the account."""
        refused = bad_key(account_key)
        if refused is not None:
            return refused
        try:
            fields = _user_fields(await json_object(request, required=True))
        except BadBody as exc:
            return exc.response()
        except _Invalid as exc:
            return control_error(400, "invalid_user", str(exc))
        now = sandbox.clock.now()
        with sandbox.db.write() as session:
            tenant = account(session, account_key, now)
            if tenant is None or tenant.id is None:
                return unknown(account_key)
            if logins.member(tenant, USERS, "email", fields["email"]) is not None:
                return control_error(409, "user_exists",
                                     f"{fields['email']} is already a user of {account_key}")
            user = make_user(tenant, fields["email"], fields["password"],
                             str(fields.get("first_name", "")), str(fields.get("last_name", "")))
            user["admin"] = bool(fields.get("admin", True))
            logins.add_member(session, tenant.id, USERS, "email", user,
                              defaults=account_defaults(account_key))
        sandbox.tenants.forget()  # cached accounts predate the new user
        shown = {k: v for k, v in user.items() if k != "password"}
        return json_response({"account": account_key, "user": shown}, 201)

    return router
