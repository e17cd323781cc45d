"""The 15 operations of the Maast Platform Invoicing API, on their real paths."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from ...core import customers, invoices, money, numbers
from ...core.errors import CoreError, RuleViolation
from ...core.query import Sort
from ...core.sandbox import Sandbox
from ...core.tables import Invoice, Tenant
from ..edge import BodyTooLarge, EdgeRouter, body_limit, json_response, read_body
from . import compute, invoice_fields, listing, render, wire
from .auth import PROVIDER, authenticate
from .errors import MaastError, from_core, invalid

Handler = Callable[..., Awaitable[Response]]
SUCCESS = {"code": 0, "message": "Success"}


def _guarded(handler: Handler) -> Handler:
    """Every failure leaves in Maast's envelope; the transaction it happened in is rolled back."""

    @functools.wraps(handler)
    async def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return await handler(*args, **kwargs)
        except MaastError as exc:
            return exc.response()
        except CoreError as exc:
            return from_core(exc).response()
        except BodyTooLarge as exc:
            return invalid({"body": str(exc)}, "Invalid request: body too large").response()

    return wrapper


def _id(raw: str, name: str) -> int:
    try:
        return numbers.whole(raw)
    except numbers.NumberError:
        raise invalid({name: "must be a positive whole number"}) from None


def _ok(data: Any) -> Response:
    return json_response({**SUCCESS, "data": data})


def build_router(sandbox: Sandbox) -> APIRouter:
    router = EdgeRouter(prefix="/platform", include_in_schema=False)
    limit = body_limit(sandbox)
    # Listing applies due expiry timers, which writes, only if the lifecycle has any.
    list_transaction = sandbox.db.write if invoices.has_timers(PROVIDER) else sandbox.db.read

    async def body(request: Request, *, optional: bool = False) -> dict[str, Any]:
        return wire.parse_json(await read_body(request, limit), optional=optional)

    def link(row: invoices.AnyInvoice) -> str | None:
        return sandbox.link(f"/checkout/{row.checkout_token}") if row.checkout_token else None

    def show(row: invoices.AnyInvoice, tenant: Tenant) -> dict[str, Any]:
        return render.invoice(row, tenant, link(row))

    def load(session: Session, tenant: Tenant, raw_id: str) -> Invoice:
        assert tenant.id is not None
        return invoices.get_invoice(session, tenant.id, _id(raw_id, "invoice_id"),
                                    now=sandbox.clock.now())

    # --- invoices ----------------------------------------------------------------------------

    @router.post("/invoice")
    @_guarded
    async def create_invoice(request: Request) -> Response:
        tenant = authenticate(sandbox, request)
        fields = invoice_fields.validate_create(await body(request))
        now = sandbox.clock.now()
        with sandbox.db.write_sql() as tx:
            row = invoice_fields.insert(tx, tenant, fields, now)
        return _ok(show(row, tenant))

    @router.get("/invoice")
    @_guarded
    async def list_invoices(request: Request) -> Response:
        tenant = authenticate(sandbox, request)
        query = listing.parse(request.query_params, listing.INVOICE_FIELDS, "invoice_number")
        assert tenant.id is not None
        with list_transaction() as session:
            rows, total = invoices.list_invoice_rows(session, tenant.id, sandbox.clock.now(),
                                                     query.filters, query.sort, query.page)
        return json_response(listing.envelope([show(r, tenant) for r in rows], total, query))

    @router.get("/invoice/payments")
    @_guarded
    async def list_all_payments(request: Request) -> Response:
        tenant = authenticate(sandbox, request)
        return _payments_page(request, tenant, None)

    @router.get("/invoice/bounced")
    @_guarded
    async def list_bounced(request: Request) -> Response:
        tenant = authenticate(sandbox, request)
        query = listing.parse(request.query_params, listing.BOUNCED_FIELDS, "db_timestamp")
        assert tenant.id is not None
        with sandbox.db.read() as session:
            events, total = invoices.list_events(session, tenant.id, "bounce",
                                                 sort=query.sort, page=query.page)
            by_id = invoices.invoices_by_id(session, {e.invoice_id for e in events})
        data = [render.bounced(e.attrs, by_id[e.invoice_id], tenant, e.created_at)
                for e in events]
        return json_response(listing.envelope(data, total, query))

    @router.get("/invoice/{invoice_id}/detail")
    @_guarded
    async def invoice_detail(request: Request, invoice_id: str) -> Response:
        tenant = authenticate(sandbox, request)
        assert tenant.id is not None
        ident = _id(invoice_id, "invoice_id")
        with sandbox.db.read_sql() as tx:
            row: invoices.AnyInvoice = invoices.read_invoice(tx, tenant.id, ident)
        if invoices.timer_due(row, sandbox.clock.now()):  # the clock moved it: store that
            with sandbox.db.write() as session:
                row = load(session, tenant, invoice_id)
        return _ok(show(row, tenant))

    @router.put("/invoice/{invoice_id}/draft")
    @_guarded
    async def update_draft(request: Request, invoice_id: str) -> Response:
        tenant = authenticate(sandbox, request)
        fields = wire.validate(wire.InvoiceFields, await body(request))
        errors: dict[str, str] = {}
        wire.check_contacts(fields, errors, need_billing=bool(fields.save_customer))
        invoice_fields.check(fields, errors)
        wire.raise_if(errors)
        now = sandbox.clock.now()
        with sandbox.db.write() as session:
            row = load(session, tenant, invoice_id)
            currency = fields.tran_currency or row.currency
            draft = invoice_fields.build(fields, row.attrs, currency, now.date())
            if fields.customer_id is not None:
                invoice_fields.check_customer(session, tenant, fields, now)
            invoices.edit_invoice(session, row, "edit_draft", now, attrs=draft.attrs,
                                  currency=currency, **draft.columns)
        return _ok(show(row, tenant))

    @router.put("/invoice/{invoice_id}/outstanding")
    @_guarded
    async def update_outstanding(request: Request, invoice_id: str) -> Response:
        tenant = authenticate(sandbox, request)
        document = await body(request)
        extra = sorted(set(document) - {"from_contact", "billing_contact"})
        if extra:
            raise invalid({name: "cannot be changed on an OUTSTANDING invoice" for name in extra})
        fields = wire.validate(wire.UpdateOutstanding, document)
        errors: dict[str, str] = {}
        wire.check_contacts(fields, errors, need_billing=False)
        wire.raise_if(errors)
        now = sandbox.clock.now()
        with sandbox.db.write() as session:
            row = load(session, tenant, invoice_id)
            attrs = {**row.attrs, **fields.model_dump(exclude_none=True)}
            invoices.edit_invoice(session, row, "edit_outstanding", now, attrs=attrs)
        return _ok(show(row, tenant))

    @router.post("/invoice/{invoice_id}/copy")
    @_guarded
    async def copy_invoice(request: Request, invoice_id: str) -> Response:
        tenant = authenticate(sandbox, request)
        fields = wire.validate(wire.CopyRequest, await body(request, optional=True))
        now = sandbox.clock.now()
        with sandbox.db.write() as session:
            source = load(session, tenant, invoice_id)
            style = source.attrs.get("date_style", compute.DATE_ONLY)
            attrs = {k: v for k, v in source.attrs.items() if k != "date_invoice"}
            attrs["date_invoice"] = compute.render_date(now.date(), style)
            copy = invoice_fields.build(wire.InvoiceFields(), attrs, source.currency, now.date())
            row = invoices.create_invoice(
                session, tenant, now, currency=source.currency,
                number=fields.invoice_number or source.number,
                customer_ref=source.customer_ref, attrs=copy.attrs,
                **{k: v for k, v in copy.columns.items() if k != "number"},
            )
        return _ok(show(row, tenant))

    @router.post("/invoice/{invoice_id}/send")
    @_guarded
    async def send_invoice(request: Request, invoice_id: str) -> Response:
        tenant = authenticate(sandbox, request)
        fields = wire.validate(wire.SendRequest, await body(request, optional=True))
        now = sandbox.clock.now()
        with sandbox.db.write() as session:
            row = load(session, tenant, invoice_id)
            invoices.transition(session, row, "send", now)
            invoices.ensure_checkout_token(row)
            _deliver(session, row, "send", fields.email_address, fields.phone_number, now)
        return _ok(show(row, tenant))

    @router.post("/invoice/{invoice_id}/resend")
    @_guarded
    async def resend_invoice(request: Request, invoice_id: str) -> Response:
        tenant = authenticate(sandbox, request)
        fields = wire.validate(wire.SendRequest, await body(request, optional=True))
        now = sandbox.clock.now()
        with sandbox.db.write() as session:
            row = load(session, tenant, invoice_id)
            invoices.transition(session, row, "resend", now)
            _deliver(session, row, "resend", fields.email_address, None, now)
        # Qualpay's QPApiResponse carries `data`: the resent invoice, as for send.
        return _ok(show(row, tenant))

    @router.delete("/invoice/{invoice_id}/cancel")
    @_guarded
    async def cancel_invoice(request: Request, invoice_id: str) -> Response:
        tenant = authenticate(sandbox, request)
        now = sandbox.clock.now()
        with sandbox.db.write() as session:
            row = load(session, tenant, invoice_id)
            invoices.transition(session, row, "cancel", now)
        return _ok(show(row, tenant))

    # --- payments ----------------------------------------------------------------------------

    async def payment_request(request: Request) -> tuple[wire.PaymentRequest, datetime]:
        fields = wire.validate(wire.PaymentRequest, await body(request))
        if fields.type == "CARD":
            raise invalid({"type": "CARD payments are made by the customer through the hosted "
                                   "checkout and cannot be added or updated by API"})
        try:
            day = compute.parse_date(fields.date_payment)[0]
        except compute.DateError as exc:
            raise invalid({"date_payment": str(exc)}) from None
        return fields, datetime(day.year, day.month, day.day, tzinfo=UTC)

    def minor(fields: wire.PaymentRequest, row: invoices.AnyInvoice) -> int:
        try:
            return money.to_minor(fields.amt_paid, row.currency)
        except money.MoneyError as exc:
            raise invalid({"amt_paid": str(exc)}) from None

    def payment_attrs(fields: wire.PaymentRequest) -> dict[str, Any]:
        attrs: dict[str, Any] = {"date_payment": fields.date_payment, "tran_status": ""}
        if fields.description is not None:
            attrs["description"] = fields.description
        return attrs

    @router.post("/invoice/{invoice_id}/payments")
    @_guarded
    async def add_payment(request: Request, invoice_id: str) -> Response:
        tenant = authenticate(sandbox, request)
        fields, paid_at = await payment_request(request)
        now = sandbox.clock.now()
        assert tenant.id is not None
        ident = _id(invoice_id, "invoice_id")
        with sandbox.db.write_sql() as tx:
            row = invoices.read_invoice(tx, tenant.id, ident)
            payment = invoices.record_payment(
                tx, row, now, amount_minor=minor(fields, row), method=fields.type,
                paid_at=paid_at, attrs=payment_attrs(fields),
            )
        return _ok(render.payment(payment, row, tenant))

    @router.get("/invoice/{invoice_id}/payments")
    @_guarded
    async def invoice_payments(request: Request, invoice_id: str) -> Response:
        tenant = authenticate(sandbox, request)
        with sandbox.db.read() as session:
            row = load(session, tenant, invoice_id)
        return _payments_page(request, tenant, row)

    @router.put("/invoice/{invoice_id}/payments/{payment_id}")
    @_guarded
    async def update_payment(request: Request, invoice_id: str, payment_id: str) -> Response:
        tenant = authenticate(sandbox, request)
        fields, paid_at = await payment_request(request)
        now = sandbox.clock.now()
        with sandbox.db.write() as session:
            row = load(session, tenant, invoice_id)
            payment = invoices.get_payment(session, row, _id(payment_id, "payment_id"))
            invoices.change_payment(
                session, row, payment, now, amount_minor=minor(fields, row), method=fields.type,
                paid_at=paid_at, attrs=payment_attrs(fields),
            )
        return _ok(render.payment(payment, row, tenant))

    @router.delete("/invoice/{invoice_id}/payments/{payment_id}")
    @_guarded
    async def remove_payment(request: Request, invoice_id: str, payment_id: str) -> Response:
        tenant = authenticate(sandbox, request)
        now = sandbox.clock.now()
        with sandbox.db.write() as session:
            row = load(session, tenant, invoice_id)
            payment = invoices.get_payment(session, row, _id(payment_id, "payment_id"))
            invoices.remove_payment(session, row, payment, now)
        return _ok({})

    def _payments_page(request: Request, tenant: Tenant, row: Invoice | None) -> Response:
        query = listing.parse(request.query_params, listing.PAYMENT_FIELDS, "date_payment")
        assert tenant.id is not None
        sort = [*query.sort, Sort("id", query.sort[0].descending)]
        with sandbox.db.read() as session:
            payments, total = invoices.list_payments(
                session, tenant.id, row.id if row else None, query.filters, sort, query.page)
            by_id = invoices.invoices_by_id(session, {p.invoice_id for p in payments})
        data = [render.payment(p, by_id[p.invoice_id], tenant) for p in payments]
        return json_response(listing.envelope(data, total, query))

    return router


def _deliver(session: Session, row: Invoice, kind: str, emails: list[str] | None,
             phones: list[str] | None, now: datetime) -> None:
    """Record who the invoice went to: the addresses given, else the invoice's billing contact,
    else the customer's in the vault. Addresses whose local part starts with `bounce` bounce."""
    recipients = emails or _contact_email(session, row)
    if not recipients and not phones:
        raise RuleViolation("no_recipient", "the invoice has no email address to send to")
    invoices.add_event(session, row, kind, now,
                       {"email_address": recipients, "phone_number": phones or []})
    bounced = [address for address in recipients if address.lower().startswith("bounce")]
    if bounced:  # one record per send, as Qualpay's BouncedInvoice lists its recipients
        invoices.add_event(session, row, "bounce", now, {
            "recipient": bounced, "send_code": render.SEND_CODES[kind], "status": row.status})


def _contact_email(session: Session, row: Invoice) -> list[str]:
    contact = row.attrs.get("billing_contact") or {}
    if not contact.get("email_address") and row.customer_ref:
        customer = customers.find(session, row.tenant_id, row.customer_ref)
        contact = (customer.attrs.get("billing_contact") or {}) if customer else {}
    return [contact["email_address"]] if contact.get("email_address") else []
