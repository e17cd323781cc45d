"""The seven InvoicesService operations, each run inside one write transaction.

Routes call them with the request's parsed JSON, fixtures call the same functions, so seeded
invoices obey the same rules. Each returns a function that renders the answer after commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlmodel import Session

from ...core import invoices, settlement
from ...core.sandbox import Sandbox
from ...core.tables import Invoice, Payment, Tenant
from . import render, wire
from .errors import PayOneError

Render = Callable[[], dict[str, Any]]

DEACTIVATED = "Invoice is deactivated successfully"
ACTIVATED = "Invoice is activated successfully"
COMPLETED = "Invoice is completed successfully"
REFUNDED = "Invoice is refunded successfully"
REFUND_PENDING = "Invoice refund is pending approval"


@dataclass(frozen=True)
class Context:
    sandbox: Sandbox
    session: Session
    tenant: Tenant
    token: str
    now: datetime

    @property
    def tenant_id(self) -> int:
        assert self.tenant.id is not None
        return self.tenant.id

    def link(self, row: Invoice) -> str:
        return self.sandbox.link(f"/checkout/{invoices.ensure_checkout_token(row)}")

    def load(self, invoice_id: str, missing: str = "00028") -> Invoice:
        row = invoices.find_invoice(self.session, self.tenant_id, invoice_id, now=self.now)
        if row is None:
            raise PayOneError(missing)
        return row


def card_payment(session: Session, row: Invoice) -> Payment | None:
    """The customer's card payment, whose details inquireInvoice shows."""
    cards = [p for p in invoices.payments_of(session, row) if p.method == "CARD"]
    return cards[-1] if cards else None


def create_rows(ctx: Context, document: dict[str, Any], *, pre_auth: bool) -> list[Invoice]:
    specs = wire.new_invoices(document, ctx.tenant.attrs.get("required_dynamic_fields", []))
    for spec in specs:
        if invoices.find_invoice(ctx.session, ctx.tenant_id, spec.invoice_id,
                                 now=ctx.now) is not None:
            raise PayOneError("00010")
    rows = []
    for spec in specs:
        row = invoices.create_invoice(
            ctx.session, ctx.tenant, ctx.now, currency=spec.currency,
            total_minor=spec.amount_minor, ref=spec.invoice_id,
            kind=render.PRE_AUTH if pre_auth else "standard", customer_ref=spec.customer_id,
            allow_partial=False, expires_at=ctx.now + timedelta(days=spec.expiry_days),
            attrs=spec.attrs,
        )
        invoices.ensure_checkout_token(row)
        rows.append(row)
    return rows


def create(ctx: Context, document: dict[str, Any], *, pre_auth: bool) -> Render:
    rows = create_rows(ctx, document, pre_auth=pre_auth)
    links = [ctx.link(row) for row in rows]
    return lambda: {"invoicesDetails": [render.created(r, u)
                                        for r, u in zip(rows, links, strict=True)]}


def inquire(ctx: Context, document: dict[str, Any]) -> Render:
    row = ctx.load(wire.invoice_id(document))
    card = card_payment(ctx.session, row)
    link, merchant_id = ctx.link(row), ctx.tenant.key
    return lambda: render.inquiry(row, merchant_id, ctx.token, link, card)


def _switch(action: str, message: str, ctx: Context, document: dict[str, Any]) -> Render:
    row = ctx.load(wire.invoice_id(document))
    invoices.transition(ctx.session, row, action, ctx.now)  # refused: 00008
    ref = row.ref or ""
    return lambda: render.acknowledged(ref, message, ctx.token)


def complete(ctx: Context, document: dict[str, Any]) -> Render:
    done = []
    for item in wire.completions(document):
        row = ctx.load(item.invoice_id, missing="00042")
        settlement.complete(ctx.session, row, ctx.now, amount_minor=item.amount_minor,
                            currency=item.currency)
        done.append({"invoiceID": item.invoice_id, "amount": item.amount_text,
                     "currency": item.currency, "invoiceStatus": row.status,
                     "status": COMPLETED})
    return lambda: {"invoicesDetails": done}


def refund(ctx: Context, document: dict[str, Any]) -> Render:
    invoice_id, amount = wire.refund_request(document)
    row = ctx.load(invoice_id)
    pending = bool(ctx.tenant.attrs.get("refund_approval"))
    refunded = settlement.refund(ctx.session, row, ctx.now, amount_minor=amount,
                                 needs_approval=pending)
    body = {**render.acknowledged(invoice_id, REFUND_PENDING if pending else REFUNDED, ctx.token),
            "amount": str(refunded), "invoiceStatus": row.status}
    return lambda: body


Operation = Callable[[Context, dict[str, Any]], Render]

OPERATIONS: dict[str, Operation] = {
    "createInvoice": partial(create, pre_auth=False),
    "createPreAuthInvoice": partial(create, pre_auth=True),
    "inquireInvoice": inquire,
    "deactivateInvoice": partial(_switch, "deactivate", DEACTIVATED),
    "activateInvoice": partial(_switch, "activate", ACTIVATED),
    "completeInvoice": complete,
    "refundInvoice": refund,
}
