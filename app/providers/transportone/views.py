"""How the dashboard shows TransportOne data, through the TMS's own renderer."""

from __future__ import annotations

import orjson
from sqlmodel import Session

from ...core import invoices, items, tokens
from ...core.overview import Breakdown, Line
from ...core.tables import Invoice, Tenant
from ..edge import Move, Rendered, Views
from . import render
from .routes import BILLING, TOKEN_PATH


def show(session: Session, row: Invoice, tenant: Tenant) -> Rendered:
    answer = render.envelope(render.invoice(row, items.items_of(session, row)))
    return Rendered("application/json", orjson.dumps(answer).decode())


def breakdown(session: Session, row: Invoice) -> Breakdown:
    lines = [Line(f"{item.attrs.get('charge_head') or item.ref} ({item.status})",
                  item.amount_minor if item.status in items.COUNTED else 0)
             for item in items.items_of(session, row)]
    return Breakdown(lines)


def access(tenant: Tenant, base_url: str) -> dict[str, str]:
    known = tenant.attrs.get(tokens.CLIENTS)
    client_id, secret = next(iter(known.items())) if isinstance(known, dict) and known else (
        "CLIENT_ID", "CLIENT_SECRET")
    body = f'{{"clientId":"{client_id}","clientSecret":"{secret}"}}'
    return {
        "x-coreos-tid": tenant.key,
        "clientId": client_id,
        "clientSecret": secret,
        "curl": f"curl -H 'content-type: application/json' -H 'x-coreos-tid: {tenant.key}' "
                f"-d '{body}' {base_url}{TOKEN_PATH}",
        "then": f"curl -H 'x-coreos-access: TOKEN' -H 'x-coreos-tid: {tenant.key}' "
                f"{base_url}{BILLING}/shipper/invoice",
    }


def merchant(tenant: Tenant) -> str:
    return tenant.key


def moves(row: Invoice, tenant: Tenant) -> list[Move]:
    """Submission and the shipper's approval are sandbox extensions (the TMS has no public
    endpoint for them)."""
    lifecycle = invoices.lifecycle_of(row)
    return [Move(action.capitalize(), "POST",
                 f"/_sandbox/transportone/{tenant.key}/invoices/{row.ref}/{action}")
            for action in ("submit", "approve", "reject") if lifecycle.allows(action, row.status)]


VIEWS = Views(render=show, breakdown=breakdown, access=access, merchant=merchant, moves=moves)
