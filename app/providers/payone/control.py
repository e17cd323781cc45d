"""`/_sandbox/payone/...`: merchant settings SmartLink keeps in its portal, and the refund
approval a merchant's checker gives there.

* `GET|POST /_sandbox/payone/merchants/{merchantID}`: `notification_url` (payment push target,
  or null), `refund_approval` (refunds wait in PENDING_REFUND_APPROVAL), and
  `required_dynamic_fields` (names createInvoice must receive, else 00031). Open mode creates
  an unknown merchant; its token is the one its first API call sends.
* `POST /_sandbox/payone/merchants/{merchantID}/invoices/{invoiceID}/approve-refund`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...core import invoices, settlement, tenancy, tenant_config
from ...core.errors import CoreError
from ...core.sandbox import Sandbox
from ...core.tables import Tenant
from ...sandbox.bodies import BadBody, json_object
from ...sandbox.errors import control_error
from ..edge import json_response
from . import wire
from .auth import PROVIDER
from .notify import NOTIFICATION_URL

SETTINGS = (NOTIFICATION_URL, "refund_approval", "required_dynamic_fields")
MAX_URL = 2048


class _Invalid(ValueError):
    pass


def describe(tenant: Tenant) -> dict[str, Any]:
    settings = tenant.attrs
    return {
        "merchantID": tenant.key,
        NOTIFICATION_URL: settings.get(NOTIFICATION_URL),
        "refund_approval": bool(settings.get("refund_approval", False)),
        "required_dynamic_fields": list(settings.get("required_dynamic_fields", [])),
        "token_registered": tenant.secret is not None,
        "from_fixture": tenant.from_fixture,
    }


def check_settings(body: dict[str, Any]) -> dict[str, Any]:
    """Validated settings; raises `_Invalid` naming the first bad key."""
    unknown = sorted(set(body) - set(SETTINGS))
    if unknown:
        raise _Invalid(f"unknown keys: {unknown}; allowed: {list(SETTINGS)}")
    url = body.get(NOTIFICATION_URL)
    if url is not None:
        parts = urlsplit(url) if isinstance(url, str) and len(url) <= MAX_URL else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            raise _Invalid(f"{NOTIFICATION_URL} must be an http(s) URL or null")
    if "refund_approval" in body and not isinstance(body["refund_approval"], bool):
        raise _Invalid("refund_approval must be true or false")
    names = body.get("required_dynamic_fields", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise _Invalid("required_dynamic_fields must be a list of field names")
    return body


def build_router(sandbox: Sandbox) -> APIRouter:
    router = APIRouter(prefix="/_sandbox/payone", tags=["payone"])

    def unknown(merchant_id: str) -> Response:
        return control_error(404, "not_found", f"no PayOne merchant {merchant_id!r}")

    @router.get("/merchants/{merchant_id}")
    async def get_merchant(merchant_id: str) -> Response:
        """A merchant's sandbox settings."""
        with sandbox.db.read() as session:
            tenant = tenancy.find(session, PROVIDER, merchant_id)
        return unknown(merchant_id) if tenant is None else json_response(describe(tenant))

    @router.post("/merchants/{merchant_id}")
    async def set_merchant(merchant_id: str, request: Request) -> Response:
        """Change settings: JSON with any of `notification_url`, `refund_approval`,
        `required_dynamic_fields`. Open mode creates an unknown merchant."""
        if not wire.MERCHANT_ID.fullmatch(merchant_id):
            return control_error(400, "invalid_merchant", "merchantID must be 1-30 letters, "
                                                          "digits, '.', '_' or '-'")
        try:
            settings = check_settings(await json_object(request))
        except BadBody as exc:
            return exc.response()
        except _Invalid as exc:
            return control_error(400, "invalid_settings", str(exc))
        with sandbox.db.write() as session:
            tenant = tenancy.find(session, PROVIDER, merchant_id)
            if tenant is None:
                if sandbox.tenants.strict:
                    return unknown(merchant_id)
                tenant = tenancy.create(session, PROVIDER, merchant_id, sandbox.clock.now(),
                                        secret=None)
            tenant_config.update(session, tenant, **settings)
            answer = describe(tenant)
        return json_response(answer)

    @router.post("/merchants/{merchant_id}/invoices/{invoice_id}/approve-refund")
    async def approve_refund(merchant_id: str, invoice_id: str) -> Response:
        """Approve a refund waiting in PENDING_REFUND_APPROVAL: the invoice becomes REFUNDED."""
        now = sandbox.clock.now()
        try:
            with sandbox.db.write() as session:
                tenant = tenancy.find(session, PROVIDER, merchant_id)
                if tenant is None or tenant.id is None:
                    return unknown(merchant_id)
                row = invoices.find_invoice(session, tenant.id, invoice_id, now=now)
                if row is None:
                    return control_error(404, "not_found", f"no invoice {invoice_id!r}")
                amount = settlement.approve_refund(session, row, now)
                answer = {"invoiceID": invoice_id, "invoiceStatus": row.status,
                          "amount": str(amount)}
        except CoreError as exc:
            return control_error(409, exc.code, exc.message)
        return json_response(answer)

    return router
