"""How the dashboard and checkout page show PayOne data, through SmartLink's own renderer."""

from __future__ import annotations

import orjson
from sqlmodel import Session

from ...core.overview import Breakdown, Line
from ...core.sandbox import Sandbox
from ...core.tables import Invoice, Tenant
from ..edge import Move, Rendered, Views
from . import render
from .operations import card_payment
from .paths import SERVICE_PATH


def views(sandbox: Sandbox) -> Views:
    def show(session: Session, row: Invoice, tenant: Tenant) -> Rendered:
        link = sandbox.link(f"/checkout/{row.checkout_token}")
        answer = render.inquiry(row, tenant.key, tenant.secret or "", link,
                                card_payment(session, row))
        return Rendered("application/json", orjson.dumps(answer).decode())

    return Views(render=show, breakdown=breakdown, access=access, merchant=merchant,
                 moves=moves)


def breakdown(session: Session, row: Invoice) -> Breakdown:
    text = str(row.attrs.get("paymentDescription") or f"Invoice {row.ref}")
    return Breakdown([Line(text, row.total_minor)])


def access(tenant: Tenant, base_url: str) -> dict[str, str]:
    token = tenant.secret or "(sent with the merchant's first call)"
    body = f'{{"merchantID":"{tenant.key}","authenticationToken":"{token}","invoiceID":"ID"}}'
    return {
        "merchantID": tenant.key,
        "authenticationToken": token,
        "curl": f"curl {base_url}{SERVICE_PATH}inquireInvoice --data-urlencode 'invoice={body}'",
    }


def merchant(tenant: Tenant) -> str:
    return str(tenant.attrs.get("name") or tenant.key)


def moves(row: Invoice, tenant: Tenant) -> list[Move]:
    if row.status != "PENDING_REFUND_APPROVAL":
        return []
    return [Move("Approve refund", "POST", f"/_sandbox/payone/merchants/{tenant.key}/invoices/"
                                           f"{row.ref}/approve-refund")]
