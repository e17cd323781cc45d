"""How the dashboard shows Harvest data, through Harvest's own renderer (XML, its default)."""

from __future__ import annotations

from sqlmodel import Session

from ...core import logins
from ...core.overview import Breakdown, Line
from ...core.tables import Invoice, Tenant
from ..edge import Rendered, Views
from . import codec, render
from .auth import USERS
from .negotiate import XML, content_type


def show(session: Session, row: Invoice, tenant: Tenant) -> Rendered:
    body = codec.render_xml("invoice", render.invoice(row, with_lines=True))
    return Rendered(content_type(XML), body.decode())


def breakdown(session: Session, row: Invoice) -> Breakdown:
    a = row.attrs
    lines = [Line(str(line.get("description") or line.get("kind") or ""),
                  int(line["amount_minor"]), str(line.get("quantity")), None)
             for line in a.get("line_items", [])]
    return Breakdown(lines, tax_minor=int(a.get("tax_minor", 0)) + int(a.get("tax2_minor", 0)),
                     discount_minor=int(a.get("discount_minor", 0)))


def access(tenant: Tenant, base_url: str) -> dict[str, str]:
    users = logins.members(tenant, USERS)
    email = str(users[0].get("email")) if users else "EMAIL"
    password = str(users[0].get("password")) if users else "PASSWORD"
    return {
        "account (Host)": f"{tenant.key}.localhost",
        "email": email,
        "password": password,
        "curl": f"curl -u '{email}:{password}' -H 'Host: {tenant.key}.localhost' "
                f"-H 'Accept: application/json' {base_url}/invoices",
    }


def merchant(tenant: Tenant) -> str:
    return str(tenant.attrs.get("name") or tenant.key)


VIEWS = Views(render=show, breakdown=breakdown, access=access, merchant=merchant)
