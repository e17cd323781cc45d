"""The dashboard at `/_sandbox/ui` and the read API behind it.

`GET /_sandbox/tenants`, `GET /_sandbox/invoices`, `GET /_sandbox/invoices/{provider}/{id}` and
`GET /_sandbox/overview` read through `app.core.overview`; each provider's own renderer shows
the invoice as its API returns it. `GET /_sandbox/requests/stream` streams the request journal
as server-sent events. The page itself is static files shipped in `ui/`, no build step.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel

from ..core import checkout, overview
from ..core.clock import iso_utc
from ..core.money import currency_label
from ..core.overview import amount
from ..core.rows import InvoiceRow
from ..core.sandbox import Sandbox
from ..core.tables import Invoice
from ..providers.edge import ProviderEdge, Views
from .errors import control_error
from .journal import Journal

UI = Path(__file__).resolve().parent / "ui"
ASSET = re.compile(r"^[a-z0-9_-]{1,64}\.(js|css|svg)$")
MEDIA = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
         "svg": "image/svg+xml"}
# The page may load and call nothing but the sandbox it came from.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
POLL_SECONDS = 0.25
KEEPALIVE_SECONDS = 10.0
STREAM_SECONDS = 15.0  # a stream ends after this; EventSource reconnects with Last-Event-ID
_STATUS = re.compile(r"^[1-5](?:\d\d|xx)$", re.IGNORECASE)


# --- response models (they document the API in the control-plane OpenAPI) ---------------------

class TenantOut(BaseModel):
    provider: str
    key: str
    public_id: int
    name: str
    from_fixture: bool
    created_at: str
    invoice_count: int
    invoices: dict[str, int]
    access: dict[str, str]


class TenantList(BaseModel):
    tenants: list[TenantOut]


class InvoiceOut(BaseModel):
    provider: str
    tenant: str
    id: int
    number: str | None
    ref: str | None
    kind: str
    status: str
    currency: str
    currency_label: str
    total: str
    paid: str
    balance: str
    refunded: str
    allow_partial: bool
    issue_date: str | None
    due_date: str | None
    expires_at: str | None
    created_at: str
    updated_at: str
    checkout_url: str | None


class InvoicePage(BaseModel):
    invoices: list[InvoiceOut]
    total: int
    page: int
    per_page: int
    pages: int


class LineOut(BaseModel):
    description: str
    quantity: str | None
    unit_price: str | None
    amount: str


class PaymentOut(BaseModel):
    id: int
    method: str
    amount: str
    paid_at: str
    made_by: str
    card: str | None
    approval_code: str | None


class EventOut(BaseModel):
    event: str
    at: str


class DeliveryOut(BaseModel):
    id: int | None
    event: str
    url: str
    state: str
    attempts: int
    created_at: str


class RawOut(BaseModel):
    media_type: str
    text: str


class MoveOut(BaseModel):
    label: str
    method: str
    path: str


class CardOut(BaseModel):
    number: str
    outcome: str
    description: str


class InvoiceDetailOut(InvoiceOut):
    merchant: str
    lines: list[LineOut]
    sub_total: str
    tax: str
    discount: str
    payments: list[PaymentOut]
    events: list[EventOut]
    deliveries: list[DeliveryOut]
    raw: RawOut | None
    moves: list[MoveOut]
    payable: bool
    not_payable_reason: str | None
    test_cards: list[CardOut]


class ProviderCount(BaseModel):
    name: str
    tenants: int
    invoices: dict[str, int]


class OverviewOut(BaseModel):
    providers: list[ProviderCount]
    clock: dict[str, Any]
    deliveries: list[DeliveryOut]


# --- the journal -------------------------------------------------------------------------------

def _journal_since(request: Request, last_id: int) -> list[dict[str, Any]]:
    """Journal entries after `last_id`, oldest first, described (credentials redacted): the
    one place the dashboard reads the journal. An entry is stored once its answer is sent, so
    every entry listed is finished."""
    journal: Journal = request.app.state.journal
    return journal.since(last_id)


def _wanted(entry: dict[str, Any], provider: str | None, method: str | None,
            status: str | None, path: str | None) -> bool:
    code = entry.get("status")
    if status is not None and (code is None or (
            code // 100 != int(status[0]) if status[1:].lower() == "xx" else code != int(status))):
        return False
    return ((provider is None or entry.get("provider") == provider)
            and (method is None or entry.get("method") == method.upper())
            and (path is None or path in str(entry.get("path"))))


def _sse(entry: dict[str, Any]) -> bytes:
    return b"id: %d\nevent: request\ndata: %s\n\n" % (entry["id"], orjson.dumps(entry))


# --- shaping -----------------------------------------------------------------------------------

def _day(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _invoice(sandbox: Sandbox, row: Invoice | InvoiceRow, tenant_key: str) -> dict[str, Any]:
    cur = row.currency
    assert row.id is not None
    return {
        "provider": row.provider, "tenant": tenant_key, "id": row.id, "number": row.number,
        "ref": row.ref, "kind": row.kind, "status": row.status, "currency": cur,
        "currency_label": currency_label(cur), "total": amount(row.total_minor, cur),
        "paid": amount(row.paid_minor, cur), "balance": amount(row.balance_minor, cur),
        "refunded": amount(row.refunded_minor, cur), "allow_partial": row.allow_partial,
        "issue_date": _day(row.issue_date), "due_date": _day(row.due_date),
        "expires_at": iso_utc(row.expires_at) if row.expires_at else None,
        "created_at": iso_utc(row.created_at), "updated_at": iso_utc(row.updated_at),
        "checkout_url": (sandbox.link(f"/checkout/{row.checkout_token}")
                         if row.checkout_token else None),
    }


def _delivery(delivery: Any) -> dict[str, Any]:
    return {"id": delivery.id, "event": delivery.event, "url": delivery.url,
            "state": delivery.state, "attempts": len(delivery.attempts or []),
            "created_at": iso_utc(delivery.created_at)}


def _made_by(method: str, locked: bool) -> str:
    return "customer, at the hosted checkout" if locked else f"merchant, through the API ({method})"


def _detail(sandbox: Sandbox, views: Views | None, found: overview.InvoiceDetail,
            session: Any) -> dict[str, Any]:
    row, tenant = found.invoice, found.tenant
    cur = row.currency
    shown = _invoice(sandbox, row, tenant.key)
    parts = views.breakdown(session, row) if views else overview.Breakdown()
    raw = views.render(session, row, tenant) if views else None
    reason = checkout.refusal(row)
    shown.update({
        "merchant": views.merchant(tenant) if views else tenant.key,
        "lines": [{"description": line.description, "quantity": line.quantity,
                   "unit_price": (None if line.unit_price_minor is None
                                  else amount(line.unit_price_minor, cur)),
                   "amount": amount(line.amount_minor, cur)} for line in parts.lines],
        "sub_total": amount(sum(line.amount_minor for line in parts.lines), cur),
        "tax": amount(parts.tax_minor, cur),
        "discount": amount(parts.discount_minor, cur),
        "payments": [{"id": p.id, "method": p.method, "amount": amount(p.amount_minor, cur),
                      "paid_at": iso_utc(p.paid_at), "made_by": _made_by(p.method, p.locked),
                      "card": p.attrs.get("card_masked"),
                      "approval_code": p.attrs.get("approval_code")} for p in found.payments],
        "events": overview.lifecycle_events(row, found.events),
        "deliveries": [_delivery(d) for d in found.deliveries],
        "raw": None if raw is None else {"media_type": raw.media_type, "text": raw.text},
        "moves": [vars(m) for m in (views.moves(row, tenant) if views else [])],
        "payable": row.checkout_token is not None and reason is None,
        "not_payable_reason": (reason if row.checkout_token is not None else
                               "This provider has no hosted checkout for this invoice; "
                               "record payments through its API."),
        "test_cards": [{"number": n, "outcome": o, "description": d}
                       for n, o, d in checkout.TEST_CARDS],
    })
    return shown


# --- routes ------------------------------------------------------------------------------------

def build_router(sandbox: Sandbox, edges: Sequence[ProviderEdge]) -> APIRouter:
    router = APIRouter(prefix="/_sandbox", tags=["dashboard"])
    views = {e.name: e.views for e in edges}
    providers = [e.name for e in edges]

    def bad(message: str) -> Response:
        return control_error(400, "invalid_query", message)

    def settle_clock() -> None:
        """Store expiries the clock has already decided, so statuses read true."""
        now = sandbox.clock.now()
        with sandbox.db.read() as session:
            due = overview.overdue(session, now)
        if due:
            with sandbox.db.write() as session:
                overview.expire_overdue(session, now)

    @router.get("/", include_in_schema=False)
    async def root() -> Response:
        return RedirectResponse("/_sandbox/ui", status_code=307)

    @router.get("/ui", include_in_schema=False)
    async def page() -> Response:
        return Response((UI / "index.html").read_bytes(), media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"})

    @router.get("/ui/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        match = ASSET.match(name)
        path = UI / name
        if match is None or not path.is_file():
            return control_error(404, "not_found", f"no dashboard file {name!r}")
        return Response(path.read_bytes(), media_type=MEDIA[match.group(1)],
                        headers={"Cache-Control": "no-cache"})

    @router.get("/overview", response_model=OverviewOut)
    async def get_overview() -> Any:
        """Providers with their tenant and invoice counts by status, the clock, and the
        latest outgoing deliveries."""
        settle_clock()
        with sandbox.db.read() as session:
            tenants = overview.tenants(session)
            counts = overview.status_counts(session)
            recent = [_delivery(d) for d in overview.recent_deliveries(session)]
        summary = []
        for name in providers:
            mine = [t for t in tenants if t.provider == name]
            statuses: dict[str, int] = {}
            for tenant in mine:
                for status, n in counts.get(tenant.id or 0, {}).items():
                    statuses[status] = statuses.get(status, 0) + n
            summary.append({"name": name, "tenants": len(mine), "invoices": statuses})
        return {"providers": summary, "clock": sandbox.clock.state(), "deliveries": recent}

    @router.get("/tenants", response_model=TenantList)
    async def list_tenants(
        request: Request,
        provider: str | None = Query(None, description="only this provider's tenants"),
    ) -> Any:
        """Every tenant with its credentials (ready to copy, with a curl line) and its invoice
        counts by status."""
        if provider is not None and provider not in providers:
            return bad(f"no provider named {provider!r}")
        settle_clock()
        base = str(request.base_url).rstrip("/")
        with sandbox.db.read() as session:
            rows = overview.tenants(session, provider)
            counts = overview.status_counts(session)
        out = []
        for tenant in rows:
            edge_views = views.get(tenant.provider)
            mine = counts.get(tenant.id or 0, {})
            out.append({
                "provider": tenant.provider, "key": tenant.key, "public_id": tenant.public_id,
                "name": edge_views.merchant(tenant) if edge_views else tenant.key,
                "from_fixture": tenant.from_fixture, "created_at": iso_utc(tenant.created_at),
                "invoice_count": sum(mine.values()), "invoices": mine,
                "access": edge_views.access(tenant, base) if edge_views else {},
            })
        return {"tenants": out}

    @router.get("/invoices", response_model=InvoicePage)
    async def list_invoices(
        provider: str | None = Query(None, description="provider name"),
        tenant: str | None = Query(None, description="tenant key (API key, merchantID, "
                                                     "account, tenant id)"),
        status: str | None = Query(None, description="status, any case"),
        q: str | None = Query(None, max_length=200,
                              description="number or client reference (prefix), or sandbox id"),
        changed_since: str | None = Query(None, description="changed at or after this "
                                                            "sandbox-clock instant (ISO-8601)"),
        sort: str = Query("-created", description="created, due, amount, balance or number; "
                                                  "a leading '-' sorts descending"),
        page: int = Query(1, ge=1, le=1_000_000),
        per_page: int = Query(50, ge=1, le=overview.MAX_PER_PAGE),
    ) -> Any:
        """Invoices of every provider and tenant in one provider-neutral shape, paged on the
        server. Amounts are decimal strings in the invoice's currency."""
        if provider is not None and provider not in providers:
            return bad(f"no provider named {provider!r}")
        since: datetime | None = None
        if changed_since is not None:
            try:
                since = datetime.fromisoformat(changed_since.replace("Z", "+00:00"))
            except ValueError:
                return bad("changed_since must be an ISO-8601 instant")
            if since.tzinfo is None:
                return bad("changed_since must carry a time zone (e.g. a trailing Z)")
        query = overview.InvoiceQuery(provider=provider, tenant=tenant, status=status, search=q,
                                      changed_since=since, sort=sort,
                                      offset=(page - 1) * per_page, limit=per_page)
        settle_clock()
        try:
            with sandbox.db.read() as session:
                rows, total = overview.list_invoices(session, query)
        except overview.BadQuery as exc:
            return bad(str(exc))
        # Already in InvoicePage's shape (fields, order, types): serialised directly rather
        # than validated row by row against the model, most of a page's cost.
        body = {"invoices": [_invoice(sandbox, row, key) for row, key in rows], "total": total,
                "page": page, "per_page": per_page, "pages": math.ceil(total / per_page)}
        return Response(orjson.dumps(body), media_type="application/json")

    @router.get("/invoices/{provider}/{invoice_id}", response_model=InvoiceDetailOut,
                responses={404: {"description": "no such invoice"}})
    async def invoice_detail(provider: str, invoice_id: str) -> Any:
        """One invoice: lines and amounts, payments and who made them, lifecycle events by the
        sandbox clock, deliveries, the checkout link, the moves the control plane offers, and
        the invoice exactly as the provider's API returns it."""
        if (provider not in providers or not (invoice_id.isascii() and invoice_id.isdigit())
                or len(invoice_id) > 18):
            return control_error(404, "not_found", f"no {provider} invoice {invoice_id!r}")
        settle_clock()
        with sandbox.db.read() as session:
            found = overview.invoice_detail(session, provider, int(invoice_id))
            if found is None:
                return control_error(404, "not_found", f"no {provider} invoice {invoice_id!r}")
            return _detail(sandbox, views.get(provider), found, session)

    @router.get("/requests/stream", response_class=StreamingResponse,
                responses={200: {"content": {"text/event-stream": {}},
                                 "description": "one `request` event per journal entry"}})
    async def stream_requests(
        request: Request,
        since: int | None = Query(None, ge=0, description="entries after this id (default: "
                                                          "only new ones)"),
        provider: str | None = Query(None), method: str | None = Query(None),
        status: str | None = Query(None, description="exact status (404) or a class (4xx)"),
        path: str | None = Query(None, description="substring of the path"),
    ) -> Response:
        """New journal entries as server-sent events (`event: request`, `id`, JSON `data` as in
        `GET /_sandbox/requests`). A stream ends after a while; EventSource reconnects and
        resumes from `Last-Event-ID`."""
        if provider is not None and provider not in providers:
            return bad(f"no provider named {provider!r}")
        if status is not None and not _STATUS.match(status):
            return bad("status must be a code (404) or a class (4xx)")
        resume = request.headers.get("last-event-id", "")
        if resume.isdigit() and len(resume) <= 18:
            since = int(resume)
        if since is None:
            since = request.app.state.journal.latest_id()

        async def events(last: int) -> AsyncIterator[bytes]:
            yield b"retry: 1000\n\n"
            started = quiet = time.monotonic()
            while time.monotonic() - started < STREAM_SECONDS:
                if await request.is_disconnected():
                    return
                for entry in _journal_since(request, last):
                    last = entry["id"]
                    if _wanted(entry, provider, method, status, path):
                        quiet = time.monotonic()
                        yield _sse(entry)
                if time.monotonic() - quiet > KEEPALIVE_SECONDS:
                    quiet = time.monotonic()
                    yield b": keep-alive\n\n"
                await asyncio.sleep(POLL_SECONDS)

        return StreamingResponse(events(since), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache",
                                          "X-Accel-Buffering": "no"})

    return router


def install(application: FastAPI, sandbox: Sandbox, edges: Sequence[ProviderEdge]) -> None:
    application.include_router(build_router(sandbox, edges))

