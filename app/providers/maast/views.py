"""How the dashboard and checkout page show Maast data, through Maast's own renderer."""

from __future__ import annotations

import base64

import orjson
from sqlmodel import Session

from ...core import money
from ...core.overview import Breakdown, Line
from ...core.sandbox import Sandbox
from ...core.tables import Invoice, Tenant
from ..edge import Rendered, Views
from . import render
from .routes import SUCCESS


def views(sandbox: Sandbox) -> Views:
    def show(session: Session, row: Invoice, tenant: Tenant) -> Rendered:
        link = sandbox.link(f"/checkout/{row.checkout_token}") if row.checkout_token else None
        body = orjson.dumps({**SUCCESS, "data": render.invoice(row, tenant, link)})
        return Rendered("application/json", body.decode())

    return Views(render=show, breakdown=breakdown, access=access, merchant=merchant)


def breakdown(session: Session, row: Invoice) -> Breakdown:
    lines = []
    for item in row.attrs.get("line_items", []):
        unit = money.to_minor(money.to_decimal(item["unit_cost"]), row.currency)
        amount = money.round_to_minor(money.to_decimal(item["quantity"])
                                      * money.to_decimal(item["unit_cost"]), row.currency)
        lines.append(Line(str(item.get("description", "")), amount, str(item["quantity"]), unit))
    return Breakdown(lines, tax_minor=int(row.attrs.get("tax_minor", 0)))


def access(tenant: Tenant, base_url: str) -> dict[str, str]:
    header = base64.b64encode(f":{tenant.key}".encode()).decode()
    return {
        "API key": tenant.key,
        "Authorization": f"Basic {header}",
        "curl": f"curl -u ':{tenant.key}' {base_url}/platform/invoice",
    }


def merchant(tenant: Tenant) -> str:
    return str(tenant.attrs.get("name") or f"Maast merchant {tenant.public_id}")
