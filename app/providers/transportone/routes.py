"""The TransportOne token endpoint and Billing App APIs on their real paths, each served with and
without a trailing slash."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from ...core import admission, approvals, idempotency, invoices, items, tokens
from ...core.errors import CoreError
from ...core.query import Filter, Page, Sort
from ...core.sandbox import Sandbox
from ...core.state import note_secret
from ...core.tables import Tenant
from ..edge import BodyTooLarge, EdgeRouter, body_limit, json_response, read_body
from . import auth, bulk, operations, render, settings, wire
from .errors import (
    INVALID_CHARGE_ID,
    PAYLOAD_TOO_LARGE,
    TransportOneError,
    from_core,
    invalid,
    unauthorized,
)

log = logging.getLogger("invoice_sandbox.transportone")

Handler = Callable[..., Awaitable[Response]]
BILLING = "/tms/api/v1/billing"
TOKEN_PATH = "/core/api/v1/aaa/auth/client-credentials"
INVOICE_STATES = frozenset(wire.STATES)
CHARGE_STATUSES = frozenset(items.STATUSES)
CANCELLED = {"success": True, "message": "Invoice cancelled successfully"}


def _guarded(handler: Handler) -> Handler:
    """Every failure leaves in TransportOne's envelope; its transaction has been rolled back."""

    @functools.wraps(handler)
    async def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return await handler(*args, **kwargs)
        except TransportOneError as exc:
            return exc.response()
        except CoreError as exc:
            return from_core(exc).response()
        except BodyTooLarge as exc:
            return TransportOneError(413, PAYLOAD_TOO_LARGE,
                                     f"Request body larger than {exc.limit} bytes").response()

    return wrapper


def _ok(data: Any, status_code: int = 200) -> Response:
    return json_response(render.envelope(data), status_code)


def _request_id(request: Request) -> str | None:
    value = (request.headers.get("x-coreos-request-id") or "").strip()
    if len(value) > 200:
        raise invalid({"x-coreos-request-id": "must be at most 200 characters"})
    return value or None


def build_router(sandbox: Sandbox) -> APIRouter:
    router = EdgeRouter()  # provider paths stay out of the control plane's schema, route by route
    limit = body_limit(sandbox)
    strict_ids = sandbox.options.get("transportone_idempotency", "lenient") == "strict"

    def route(method: str, path: str) -> Callable[[Handler], Handler]:
        base = path.rstrip("/")

        def register(handler: Handler) -> Handler:
            guarded = _guarded(handler)
            for variant in (base, base + "/"):
                router.add_api_route(variant, guarded, methods=[method], include_in_schema=False)
            return guarded

        return register

    def run_post(request: Request, tenant: Tenant, raw: bytes,
                 work: Callable[[Session], Response]) -> tuple[Response, bool]:
        """Do `work` once per `x-coreos-request-id` and route: a repeat of the same request
        replays the first answer (True); a different request under the same id and route is
        done anew, or a 409 with `--transportone-idempotency strict`."""
        request_id = _request_id(request)
        route = request.url.path.rstrip("/")
        key = (None if request_id is None
               else idempotency.scoped(request_id, request.method, route))
        target = route + (f"?{request.url.query}" if request.url.query else "")
        fingerprint = idempotency.fingerprint(request.method, target, raw)
        tenant_id = operations.tenant_id(tenant)
        with sandbox.db.write() as session:
            if key is not None:
                record = idempotency.check(session, tenant_id, key, fingerprint,
                                           strict=strict_ids)
                if record is not None:
                    return Response(record.body, record.status_code,
                                    media_type=record.content_type,
                                    headers={"x-coreos-idempotent-replay": "true"}), True
            response = work(session)
            if key is not None and 200 <= response.status_code < 300:
                idempotency.remember(session, tenant_id, key, fingerprint,
                                     status_code=response.status_code,
                                     content_type=response.media_type or "application/json",
                                     body=bytes(response.body), now=sandbox.clock.now())
        sandbox.wake_deliveries()
        return response, False

    # --- token -----------------------------------------------------------------------------

    def token_tenant(request: Request, creds: wire.Credentials) -> Tenant:
        now = sandbox.clock.now()
        key = auth.tenant_hint(request)
        if key is None:
            with sandbox.db.read() as session:
                owner = tokens.tenant_of_client(session, auth.PROVIDER, creds.client_id)
            if owner is not None:
                return owner
            if not wire.TENANT.match(creds.client_id):
                raise invalid({"x-coreos-tid": "is required (or a TENANT.localhost Host)"})
            key = creds.client_id  # open mode: a client without a tenant gets its own
        tenant = sandbox.tenants.resolve(auth.PROVIDER, key, now)
        if tenant is None:
            raise unauthorized("Invalid client credentials")
        return tenant

    @route("POST", TOKEN_PATH)
    async def client_credentials(request: Request) -> Response:
        raw = await read_body(request, limit)
        creds = wire.credentials(wire.parse_json(raw))
        note_secret(creds.client_secret)
        tenant = token_tenant(request, creds)
        now = sandbox.clock.now()

        def work(session: Session) -> Response:
            # A new client may be the first of a new tenant, never join one that has clients.
            known = tokens.clients(session, operations.tenant_id(tenant))
            if not tokens.check_client(session, operations.tenant_id(tenant), creds.client_id,
                                       creds.client_secret,
                                       register_unknown=admission.may_register(
                                           strict=sandbox.tenants.strict,
                                           existing_credentials=len(known))):
                raise unauthorized("Invalid client credentials")
            token = auth.make_token(tenant.key, creds.client_id, now)
            tokens.issue(session, operations.tenant_id(tenant), token, now,
                         auth.TOKEN_TTL_SECONDS)
            return json_response({"data": {"accessToken": token,
                                            "expiresIn": auth.TOKEN_TTL_SECONDS}})

        return run_post(request, tenant, raw, work)[0]

    # --- invoices --------------------------------------------------------------------------

    def cancel(session: Session, tenant: Tenant, code: str, reason: str | None,
               by: str | None) -> Response:
        now = sandbox.clock.now()
        row = operations.load(session, tenant, code, now)
        approvals.cancel(session, row, now, reason=reason, by=by)
        return _ok({**CANCELLED, "invoiceId": row.ref})

    @route("POST", f"{BILLING}/transporter/cancel-invoice")
    async def cancel_invoice(request: Request) -> Response:
        tenant = auth.authenticate(sandbox, request)
        raw = await read_body(request, limit)
        spec = wire.cancel(wire.parse_json(raw), needs_id=True)
        code = spec.invoice_id
        assert code is not None
        by = auth.user_name(request)
        return run_post(request, tenant, raw,
                        lambda s: cancel(s, tenant, code, spec.reason, by))[0]

    @route("POST", f"{BILLING}/transporter/cancel-invoice/{{invoice_id}}")
    async def cancel_invoice_by_path(request: Request, invoice_id: str) -> Response:
        tenant = auth.authenticate(sandbox, request)
        code = wire.path_id(invoice_id)
        raw = await read_body(request, limit)
        spec = wire.cancel(wire.parse_json(raw, optional=True), needs_id=False)
        by = auth.user_name(request)
        return run_post(request, tenant, raw,
                        lambda s: cancel(s, tenant, code, spec.reason, by))[0]

    def invoice_page(request: Request, tenant: Tenant, filters: list[Filter]) -> Response:
        query = wire.list_query(request.query_params)
        now = sandbox.clock.now()
        with sandbox.db.read() as session:
            rows, total = invoices.list_invoice_rows(
                session, operations.tenant_id(tenant), now, filters,
                [Sort("created_at", query.descending)], Page(query.offset, query.size))
        return _ok({"invoices": [render.invoice(r) for r in rows], "total": total})

    @route("GET", f"{BILLING}/invoice/pending-approval")
    async def pending_approval(request: Request) -> Response:
        tenant = auth.authenticate(sandbox, request)
        return invoice_page(request, tenant, [Filter("status", "EQ", "SUBMITTED")])

    @route("GET", f"{BILLING}/shipper/invoice")
    async def shipper_invoices(request: Request) -> Response:
        tenant = auth.authenticate(sandbox, request)
        filters = []
        states = wire.states(request.query_params, "state", INVOICE_STATES)
        if states:
            filters.append(Filter("status", "IN", states))
        transporter = request.query_params.get("transporterId")
        if transporter:
            filters.append(Filter("attrs.transporter_id", "EQ", transporter))
        return invoice_page(request, tenant, filters)

    @route("GET", f"{BILLING}/transporter/invoice/{{invoice_id}}")
    async def invoice_detail(request: Request, invoice_id: str) -> Response:
        tenant = auth.authenticate(sandbox, request)
        code = wire.path_id(invoice_id)
        with sandbox.db.read() as session:
            row = operations.load(session, tenant, code, sandbox.clock.now())
            charges = items.items_of(session, row)
        return _ok(render.invoice(row, charges))

    # --- charges ---------------------------------------------------------------------------

    @route("POST", f"{BILLING}/charge/reject")
    async def reject_charges(request: Request) -> Response:
        tenant = auth.authenticate(sandbox, request)
        raw = await read_body(request, limit)
        spec = wire.rejection(wire.parse_json(raw))
        by = auth.user_name(request)

        def work(session: Session) -> Response:
            now = sandbox.clock.now()
            row = operations.load(session, tenant, spec.invoice_id, now)
            result = approvals.review(session, row, now, rejections=spec.rejections,
                                      approve_rest=spec.approve_remaining, by=by)
            if row.status == "APPROVED":
                settings.notify_approved(session, tenant, row, now)
            return _ok({"success": True, "message": "Charges processed successfully",
                        "invoiceId": row.ref, "invoiceState": row.status,
                        "rejectedCharges": result.rejected, "approvedCharges": result.approved})

        return run_post(request, tenant, raw, work)[0]

    @route("GET", f"{BILLING}/charge/{{charge_id}}")
    async def charge_detail(request: Request, charge_id: str) -> Response:
        tenant = auth.authenticate(sandbox, request)
        code = wire.path_id(charge_id, INVALID_CHARGE_ID)
        now = sandbox.clock.now()
        with sandbox.db.read() as session:
            item = items.get_item(session, operations.tenant_id(tenant), code)
            owner = operations.owner_of(session, tenant, item, now)
        return _ok(render.charge(item, owner))

    @route("GET", f"{BILLING}/shipper/charge")
    async def shipper_charges(request: Request) -> Response:
        tenant = auth.authenticate(sandbox, request)
        query = wire.list_query(request.query_params)
        statuses = wire.states(request.query_params, "status", CHARGE_STATUSES)
        invoice_code = request.query_params.get("invoiceId")
        now = sandbox.clock.now()
        with sandbox.db.read() as session:
            owner_id = None
            if invoice_code:
                owner_id = operations.load(session, tenant, wire.path_id(invoice_code), now).id
            rows, total = items.list_items(
                session, operations.tenant_id(tenant), invoice_id=owner_id, statuses=statuses,
                descending=query.descending, page=Page(query.offset, query.size))
            owners = invoices.invoices_by_id(session, {r.invoice_id for r in rows
                                                       if r.invoice_id is not None})
        data = [render.charge(r, owners.get(r.invoice_id) if r.invoice_id else None)
                for r in rows]
        return _ok({"charges": data, "total": total})

    @route("POST", f"{BILLING}/bulk-process-charge")
    async def bulk_process_charge(request: Request) -> Response:
        tenant = auth.authenticate(sandbox, request)
        raw = await read_body(request, limit)
        spec = wire.bulk_charges(wire.parse_json(raw))
        by = auth.user_name(request)

        def work(session: Session) -> Response:
            now = sandbox.clock.now()
            created = [operations.create_charge(session, tenant, c, now) for c in spec.create]
            updated = [operations.update_charge(session, tenant, c, now, by)
                       for c in spec.update]

            def show(item: Any) -> dict[str, Any]:
                return render.charge(item, operations.owner_of(session, tenant, item, now))

            return _ok({"created": [show(c) for c in created],
                        "updated": [show(c) for c in updated]})

        return run_post(request, tenant, raw, work)[0]

    # --- payments --------------------------------------------------------------------------

    @route("GET", f"{BILLING}/invoice/payments/{{invoice_id}}")
    async def invoice_payments(request: Request, invoice_id: str) -> Response:
        tenant = auth.authenticate(sandbox, request)
        code = wire.path_id(invoice_id)
        with sandbox.db.read() as session:
            row = operations.load(session, tenant, code, sandbox.clock.now())
            payments = invoices.payments_of(session, row)
        return _ok({"invoiceId": row.ref, "payments": [render.payment(p, row) for p in payments],
                    "total": len(payments)})

    @route("POST", f"{BILLING}/payments")
    async def report_payment(request: Request) -> Response:
        tenant = auth.authenticate(sandbox, request)
        raw = await read_body(request, limit)
        spec = wire.single_payment(wire.parse_json(raw))
        by = auth.user_name(request)

        def work(session: Session) -> Response:
            payment, row = operations.apply_payment(session, tenant, spec,
                                                    sandbox.clock.now(), by)
            return _ok(render.payment(payment, row))

        return run_post(request, tenant, raw, work)[0]

    @route("POST", f"{BILLING}/shipper/bulk/upload/payment")
    async def bulk_upload_payment(request: Request) -> Response:
        tenant = auth.authenticate(sandbox, request)
        raw = await read_body(request, limit)
        spec = wire.bulk_payments(wire.parse_json(raw))
        upload_id = _request_id(request) or operations.new_code("BPU")
        by = auth.user_name(request)

        def work(session: Session) -> Response:
            # The job is written with the 202 (and its idempotency record): the upload is
            # done even if this process dies right after answering.
            bulk.enqueue(session, tenant, upload_id, raw, by)
            return _ok({"requestId": upload_id, "uploadStatus": "ACCEPTED",
                        "totalRecords": len(spec.payments)}, 202)

        return run_post(request, tenant, raw, work)[0]

    # --- configuration ---------------------------------------------------------------------

    @route("GET", f"{BILLING}/autoapproval-configuration")
    async def auto_approval(request: Request) -> Response:
        tenant = auth.authenticate(sandbox, request)
        latest = (request.query_params.get("latest") or "false").lower()
        if latest not in ("true", "false"):
            raise invalid({"latest": "must be true or false"})
        with sandbox.db.read() as session:
            versions = settings.auto_approval_versions(session, tenant)
        if latest == "true":
            return _ok(settings.render_auto_approval(versions[-1] if versions else None, True))
        shown = [settings.render_auto_approval(v, i == len(versions) - 1)
                 for i, v in enumerate(versions)]
        return _ok({"configurations": shown[::-1], "total": len(shown)})

    return router
