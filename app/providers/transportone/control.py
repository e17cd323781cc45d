"""Sandbox extensions for TransportOne under the control plane (`/_sandbox/transportone/...`):
create freight invoices and move them through submission and approval (the real TMS has no
public endpoint for that), register the ERP callback, set the auto-approval configuration.
Answers use the control plane's own error shape."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...core import approvals, items
from ...core.errors import CoreError, NotFound, TransitionRefused
from ...core.sandbox import Sandbox
from ...core.tables import Tenant
from ...sandbox.errors import control_error
from ..edge import BodyTooLarge, json_response, read_body
from . import operations, render, settings, wire
from .auth import PROVIDER
from .errors import TransportOneError

Handler = Callable[..., Awaitable[Response]]
ACTIONS = ("submit", "approve", "reject")
LIMIT = 1_048_576


def _guarded(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return await handler(*args, **kwargs)
        except TransportOneError as exc:
            code = "invalid_request" if exc.status == 400 else exc.code.lower()
            return control_error(exc.status, code, exc.message)
        except TransitionRefused as exc:
            return control_error(409, "transition_refused", exc.message)
        except NotFound as exc:
            return control_error(404, "not_found", exc.message)
        except CoreError as exc:
            return control_error(400, exc.code, exc.message)
        except BodyTooLarge as exc:
            return control_error(413, "too_large", str(exc))

    return wrapper


def build_router(sandbox: Sandbox) -> APIRouter:
    router = APIRouter(prefix="/_sandbox/transportone", tags=["transportone sandbox"])

    def tenant_for(key: str, *, create: bool) -> Tenant:
        if not wire.TENANT.match(key):
            raise TransportOneError(400, "invalid_tenant", f"{key!r} is not a valid tenant id")
        now = sandbox.clock.now()
        tenant = (sandbox.tenants.resolve(PROVIDER, key, now) if create
                  else sandbox.tenants.lookup(PROVIDER, key))
        if tenant is None:
            raise TransportOneError(404, "unknown_tenant", f"no TransportOne tenant {key!r}")
        return tenant

    async def body(request: Request, *, optional: bool = False) -> dict[str, Any]:
        return wire.parse_json(await read_body(request, LIMIT), optional=optional)

    @router.post("/{tenant}/invoices", status_code=201)
    @_guarded
    async def create_invoice(request: Request, tenant: str) -> Response:
        """A freight invoice with its charges, in `state` (default DRAFT)."""
        spec = wire.invoice_spec(await body(request))
        owner = tenant_for(tenant, create=True)
        now = sandbox.clock.now()
        with sandbox.db.write() as session:
            row = operations.create_invoice(session, owner, spec, now)
            if row.status == "APPROVED":
                settings.notify_approved(session, owner, row, now)
            shown = render.invoice(row, items.items_of(session, row))
        sandbox.wake_deliveries()
        return json_response(shown, 201)

    @router.post("/{tenant}/invoices/{unique_code}/{action}")
    @_guarded
    async def move_invoice(request: Request, tenant: str, unique_code: str,
                           action: str) -> Response:
        """`submit` (auto-approval applies), `approve`, or `reject` with optional
        `{"shipperRejectionReasons": [...], "shipperRejectionRemark": "..."}`."""
        if action not in ACTIONS:
            return control_error(404, "not_found", f"unknown action {action!r}; use "
                                                   f"{', '.join(ACTIONS)}")
        reader = wire.Reader(await body(request, optional=True))
        reasons = reader.strings("shipperRejectionReasons") or []
        remark = reader.text("shipperRejectionRemark", limit=1000)
        reader.done()
        owner = tenant_for(tenant, create=False)
        now = sandbox.clock.now()
        with sandbox.db.write() as session:
            row = operations.load(session, owner, wire.path_id(unique_code), now)
            if action == "submit":
                operations.submit(session, owner, row, now)
            elif action == "approve":
                operations.approve(session, owner, row, now)
            else:
                approvals.reject(session, row, now, reasons=reasons, remark=remark)
            shown = render.invoice(row, items.items_of(session, row))
        sandbox.wake_deliveries()
        return json_response(shown)

    @router.get("/{tenant}/erp-callback")
    @_guarded
    async def get_callback(tenant: str) -> Response:
        owner = tenant_for(tenant, create=False)
        with sandbox.db.read() as session:
            target = settings.erp_callback(session, owner)
        return json_response({"url": target["url"] if target else None,
                              "secret_set": bool(target and target.get("secret"))})

    @router.put("/{tenant}/erp-callback")
    @router.post("/{tenant}/erp-callback")
    @_guarded
    async def set_callback(request: Request, tenant: str) -> Response:
        """`{"url": "https://erp.example/tms", "secret": "optional"}`: approved invoices are
        POSTed there with the x-coreos-* headers and `x-tms-callback-secret`."""
        reader = wire.Reader(await body(request))
        url = reader.text("url", required=True, limit=2000)
        secret = reader.text("secret", limit=255)
        if url is not None and not wire.http_url(url):
            reader.fail("url", "must be an http:// or https:// URL")
        reader.done()
        assert url is not None
        owner = tenant_for(tenant, create=True)
        with sandbox.db.write() as session:
            settings.set_erp_callback(session, owner, url, secret)
        return json_response({"url": url, "secret_set": bool(secret)})

    @router.delete("/{tenant}/erp-callback")
    @_guarded
    async def remove_callback(tenant: str) -> Response:
        owner = tenant_for(tenant, create=False)
        with sandbox.db.write() as session:
            settings.remove_erp_callback(session, owner)
        return json_response({"url": None, "secret_set": False})

    @router.get("/{tenant}/autoapproval-configuration")
    @_guarded
    async def get_auto_approval(tenant: str) -> Response:
        owner = tenant_for(tenant, create=False)
        with sandbox.db.read() as session:
            versions = settings.auto_approval_versions(session, owner)
        return json_response(settings.render_auto_approval(versions[-1] if versions else None,
                                                           True))

    @router.put("/{tenant}/autoapproval-configuration")
    @router.post("/{tenant}/autoapproval-configuration")
    @_guarded
    async def set_auto_approval(request: Request, tenant: str) -> Response:
        """`{"enabled": true, "maxDifferenceAmount": 100, "maxInvoiceAmount": null}`: a new
        version; from then on a submitted invoice within the limits is approved at once."""
        reader = wire.Reader(await body(request))
        if not isinstance(reader.doc.get("enabled"), bool):
            reader.fail("enabled", "is required (true or false)")
        enabled = reader.flag("enabled", False)
        difference = reader.amount("maxDifferenceAmount") or 0
        ceiling = reader.amount("maxInvoiceAmount")
        reader.done()
        owner = tenant_for(tenant, create=True)
        with sandbox.db.write() as session:
            entry = settings.set_auto_approval(session, owner, sandbox.clock.now(),
                                               enabled=enabled, max_difference_minor=difference,
                                               max_total_minor=ceiling)
        return json_response(settings.render_auto_approval(entry, True))

    return router
