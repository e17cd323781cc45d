"""Harvest's legacy v1 invoice API on its real paths: invoices, payments, messages, account.

Every path also answers with a `.xml`/`.json` suffix, and with a trailing slash (as Rails did,
with no redirect: clients that do not re-POST on a redirect post to `/invoices/`). Handlers take
the raw request and parse path ids themselves, so a bad id is Harvest's 404 page, never a
framework error body. Record fields come from the body and, Rails-style, from bracketed
parameters (`invoice[subject]=...`) in the query string or a form body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from ...core import invoices
from ...core.errors import CoreError
from ...core.query import QueryError
from ...core.sandbox import Sandbox
from ...core.tables import Invoice
from ...core.windows import RateWindows
from ..edge import BodyTooLarge, EdgeRouter, body_limit, read_body
from . import codec, errors, listing, render, service, wire
from .auth import Authenticator, host_account
from .errors import HarvestError, Invalid, PageNotFound, Throttled
from .negotiate import JSON, content_type, split_suffix, wanted_format
from .service import Actor
from .throttle import Throttle

_FORM = "application/x-www-form-urlencoded"
_ID_PARAMS = {"invoice_id", "payment_id", "message_id"}
# Messages are `<invoice-message>` in XML, as documented, but rooted `message` in JSON (what the
# `harvested` gem reads; its live specs found, listed and deleted messages that way).
_MESSAGE = "invoice_message"
_MESSAGE_JSON = "message"


@dataclass(frozen=True)
class Call:
    request: Request
    actor: Actor
    fmt: str

    def param(self, name: str) -> str:
        return str(self.request.path_params[name])

    def id(self, name: str) -> int:
        """A numeric path id (a `.xml`/`.json` suffix allowed); anything else is a 404 page."""
        raw = self.param(name)
        base, suffix = split_suffix(raw)
        last = self.request.url.path.rstrip("/").rsplit("/", 1)[-1]
        if suffix is not None and raw != last:
            raise PageNotFound()  # `/invoices/1.json/payments` is no path of Harvest's
        if not (base.isascii() and base.isdigit()) or len(base) > 18:
            raise PageNotFound()
        return int(base)

    def one(self, root: str, record: codec.Record, json_root: str | None = None) -> Response:
        if self.fmt == JSON:
            body = codec.render_json(json_root or root, record)
            return Response(body, media_type=content_type(JSON))
        return Response(codec.render_xml(root, record), media_type=content_type(self.fmt))

    def many(self, root: str, item: str, records: list[codec.Record],
             json_item: str | None = None) -> Response:
        if self.fmt == JSON:
            # Harvest wrapped each invoice of a list as {"invoices": ...} (plural).
            body = codec.render_json_list(json_item or (root if root == "invoices" else item),
                                          records)
            return Response(body, media_type=content_type(JSON))
        return Response(codec.render_xml_list(root, item, records),
                        media_type=content_type(self.fmt))

    def empty(self, status: int = 200, location: str | None = None) -> Response:
        headers = {"Location": location} if location else None
        return Response(b"", status, headers=headers, media_type=content_type(self.fmt))


Handler = Callable[[Call], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def _invoices_enabled(actor: Actor) -> bool:
    modules = actor.tenant.attrs.get("modules")
    return not isinstance(modules, dict) or modules.get("invoices", True) is not False


def build_router(sandbox: Sandbox) -> APIRouter:
    router = EdgeRouter(include_in_schema=False)
    authenticator = Authenticator(sandbox)
    throttle = Throttle(RateWindows(sandbox.db),
                        bool(sandbox.options.get("harvest_throttle", False)))

    def on_reset(session: Session, only_provider: str | None, only_tenant: str | None) -> None:
        if only_provider in (None, "harvest"):
            throttle.forget(session, only_tenant)

    sandbox.hooks.on("reset", "sandbox", on_reset)
    limit = body_limit(sandbox)
    reading = str(sandbox.options.get("harvest_follows", listing.RECORDED))

    def guarded(handler: Handler, invoices_module: bool) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            fmt = wanted_format(request)
            try:
                if request.path_params.get("fmt", "xml") not in ("xml", "json"):
                    raise PageNotFound()
                principal = authenticator.authenticate(request)
                wait = throttle.hit(principal.tenant.key, sandbox.clock.now())
                if wait:
                    raise Throttled(wait)
                actor = Actor(principal.tenant, principal.user)
                if invoices_module and not _invoices_enabled(actor):
                    raise PageNotFound()  # the invoices module is switched off
                call = Call(request, actor, fmt)
                for name in _ID_PARAMS & request.path_params.keys():
                    call.id(name)  # a malformed id is a 404 before the body is looked at
                return await handler(call)
            except HarvestError as exc:
                return exc.response(fmt)
            except CoreError as exc:
                return errors.from_core(exc).response(fmt)
            except (codec.CodecError, QueryError) as exc:
                return Invalid(str(exc)).response(fmt)
            except BodyTooLarge as exc:
                return Invalid(f"Request body is too large (limit {exc.limit} bytes)").response(fmt)

        return endpoint

    def add(method: str, path: str, handler: Handler, *, suffix: bool = False,
            invoices_module: bool = True) -> None:
        endpoint = guarded(handler, invoices_module)
        router.add_api_route(path, endpoint, methods=[method])
        router.add_api_route(path + "/", endpoint, methods=[method])
        if suffix:  # the last segment is fixed text: `.xml`/`.json` needs its own route
            router.add_api_route(path + ".{fmt}", endpoint, methods=[method])

    def parse(call: Call, body: bytes, roots: tuple[str, ...], *,
              optional: bool = False) -> wire.Fields:
        """The record's fields: bracketed query parameters, overlaid by the body's (Rails
        merged both into `params`, the body winning)."""
        fields = wire.bracketed(call.request.url.query, roots)
        ctype = (call.request.headers.get("content-type") or "").lower()
        start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if ctype.startswith(_FORM) and start not in (b"<", b"{", b"["):
            text = body.decode("utf-8", "replace")
            return {**fields, **wire.bracketed(text, roots)}
        found = wire.record(body, roots, limit, optional=optional or bool(fields))
        return {**fields, **found}

    def load(session: Session, call: Call) -> Invoice:
        return service.load_invoice(session, call.actor, call.id("invoice_id"),
                                    sandbox.clock.now())

    # --- invoices ----------------------------------------------------------------------------

    async def list_invoices(call: Call) -> Response:
        now = sandbox.clock.now()
        query = listing.parse(call.request.query_params, now.date(), reading)
        with sandbox.db.read() as session:
            rows = invoices.page_of_invoices(session, call.actor.tenant_id, now, query.filters,
                                             query.sort, query.page)
        return call.many("invoices", "invoice", [render.invoice(r, with_lines=False)
                                                 for r in rows])

    async def show_invoice(call: Call) -> Response:
        with sandbox.db.read() as session:
            row = load(session, call)
        return call.one("invoice", render.invoice(row, with_lines=True))

    async def create_invoice(call: Call) -> Response:
        body = await read_body(call.request, limit)
        data = wire.invoice(parse(call, body, wire.INVOICE_ROOTS), creating=True)
        with sandbox.db.write() as session:
            row = service.create_invoice(session, call.actor, data, sandbox.clock.now())
        return call.empty(201, f"/invoices/{row.id}")

    # Bodies are read first but parsed once the invoice is found: an unknown invoice is a 404
    # whatever was posted to it, as with Rails' find-before-filter.
    async def update_invoice(call: Call) -> Response:
        body = await read_body(call.request, limit)
        with sandbox.db.write() as session:
            row = load(session, call)
            data = wire.invoice(parse(call, body, wire.INVOICE_ROOTS), creating=False)
            service.update_invoice(session, row, data, sandbox.clock.now(), call.actor)
        return call.empty(200, f"/invoices/{row.id}")

    async def delete_invoice(call: Call) -> Response:
        with sandbox.db.write() as session:
            service.delete_invoice(session, load(session, call), sandbox.clock.now())
        return call.empty()

    add("GET", "/invoices", list_invoices, suffix=True)
    add("POST", "/invoices", create_invoice, suffix=True)
    add("GET", "/invoices/{invoice_id}", show_invoice)
    add("PUT", "/invoices/{invoice_id}", update_invoice)
    add("DELETE", "/invoices/{invoice_id}", delete_invoice)

    # --- payments ----------------------------------------------------------------------------

    async def list_payments(call: Call) -> Response:
        with sandbox.db.read() as session:
            row = load(session, call)
            rows = invoices.payments_of(session, row)
        return call.many("payments", "payment", [render.payment(p, row) for p in rows])

    async def show_payment(call: Call) -> Response:
        with sandbox.db.read() as session:
            row = load(session, call)
            payment = invoices.get_payment(session, row, call.id("payment_id"))
        return call.one("payment", render.payment(payment, row))

    async def create_payment(call: Call) -> Response:
        body = await read_body(call.request, limit)
        with sandbox.db.write() as session:
            row = load(session, call)
            data, minor = wire.payment(parse(call, body, wire.PAYMENT_ROOTS), row.currency)
            payment = service.record_payment(session, call.actor, row, data, minor,
                                             sandbox.clock.now(),
                                             moves_draft=reading == listing.RECORDED)
        # The documented Location uses the singular `invoice`; GET is served there too.
        return call.empty(201, f"/invoice/{row.id}/payments/{payment.id}")

    async def delete_payment(call: Call) -> Response:
        with sandbox.db.write() as session:
            row = load(session, call)
            payment = invoices.get_payment(session, row, call.id("payment_id"))
            invoices.remove_payment(session, row, payment, sandbox.clock.now())
        return call.empty()

    add("GET", "/invoices/{invoice_id}/payments", list_payments, suffix=True)
    add("POST", "/invoices/{invoice_id}/payments", create_payment, suffix=True)
    add("GET", "/invoices/{invoice_id}/payments/{payment_id}", show_payment)
    add("DELETE", "/invoices/{invoice_id}/payments/{payment_id}", delete_payment)
    add("GET", "/invoice/{invoice_id}/payments/{payment_id}", show_payment)

    # --- messages and state actions ----------------------------------------------------------

    async def list_messages(call: Call) -> Response:
        with sandbox.db.read() as session:
            rows = service.messages_of(session, call.actor, load(session, call))
        return call.many(_MESSAGE, _MESSAGE, [render.message(m) for m in rows],
                         _MESSAGE_JSON)

    async def show_message(call: Call) -> Response:
        with sandbox.db.read() as session:
            row = load(session, call)
            event = invoices.get_event(session, row, service.MESSAGE, call.id("message_id"))
        return call.one(_MESSAGE, render.message(event), _MESSAGE_JSON)

    async def send_invoice(call: Call) -> Response:
        body = await read_body(call.request, limit)
        with sandbox.db.write() as session:
            row = load(session, call)
            data = wire.message(parse(call, body, wire.MESSAGE_ROOTS), sending=True)
            event = service.send(session, call.actor, row, data, sandbox.clock.now())
        return call.empty(201, f"/invoices/{row.id}/messages/{event.id}")

    async def state_action(call: Call) -> Response:
        action, _ = split_suffix(call.param("action"))
        if action not in service.STATE_ACTIONS:
            raise PageNotFound()
        body = await read_body(call.request, limit)
        with sandbox.db.write() as session:
            row = load(session, call)
            data = wire.message(parse(call, body, wire.MESSAGE_ROOTS, optional=True),
                                sending=False)
            service.state_action(session, call.actor, row, action, data, sandbox.clock.now())
        return call.empty()

    async def delete_message(call: Call) -> Response:
        with sandbox.db.write() as session:
            row = load(session, call)
            event = invoices.get_event(session, row, service.MESSAGE, call.id("message_id"))
            invoices.delete_event(session, event)
        return call.empty()

    add("GET", "/invoices/{invoice_id}/messages", list_messages, suffix=True)
    add("POST", "/invoices/{invoice_id}/messages", send_invoice, suffix=True)
    add("GET", "/invoices/{invoice_id}/messages/{message_id}", show_message)
    add("DELETE", "/invoices/{invoice_id}/messages/{message_id}", delete_message)
    add("POST", "/invoices/{invoice_id}/messages/{action}", state_action)

    # --- account -----------------------------------------------------------------------------

    async def who_am_i(call: Call) -> Response:
        host = call.request.headers.get("host")
        base = (f"{call.request.url.scheme}://{host}" if host and host_account(call.request)
                else sandbox.public_url)
        record = render.who_am_i(call.actor.tenant, call.actor.user, base)
        return _hash(call, record)

    async def rate_limit_status(call: Call) -> Response:
        status = throttle.status(call.actor.tenant.key, sandbox.clock.now())
        return _hash(call, render.rate_limit_status(status, throttle.max_calls,
                                                    throttle.timeframe))

    add("GET", "/account/who_am_i", who_am_i, suffix=True, invoices_module=False)
    add("GET", "/account/rate_limit_status", rate_limit_status, suffix=True,
        invoices_module=False)
    return router


def _hash(call: Call, record: codec.Record) -> Response:
    if call.fmt == JSON:
        return Response(render.hash_json(record), media_type=content_type(JSON))
    return Response(codec.render_xml("hash", record), media_type=content_type(call.fmt))
