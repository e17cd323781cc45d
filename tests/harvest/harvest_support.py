"""Helpers for the Harvest tests: an authenticated client in either format, request bodies as
the docs write them, parsed views of responses and state snapshots for "nothing was written"."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from typing import Any

import httpx
from fastapi.testclient import TestClient

NOW = "2026-03-02T10:30:00Z"
TODAY = "2026-03-02"
DEMO_EMAIL = "owner@demo.example"
DEMO_PASSWORD = "harvest-demo"
DEMO_TOKEN = "demo-oauth-token-0001"
EXPIRED_TOKEN = "demo-expired-token-0001"
XML_CT = "application/xml; charset=utf-8"
JSON_CT = "application/json; charset=utf-8"
DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'
EMPTY_LIST = DECL + b'<nil-classes type="array"/>\n'
CSV_HEADER = "kind,description,quantity,unit_price,amount,taxed,taxed2,project_id"

# The seed document's sample POST, byte for byte (comments included).
SEED_PAYMENT_POST = b"""<payment>
  <!-- required -->
  <paid-at type="datetime">2008-02-14T00:00:00Z</paid-at>
  <!-- required -->
  <amount type="decimal">52000.0</amount>
  <notes>Some optional notes go here</notes>
</payment>"""


def basic_header(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def freeze(client: TestClient, at: str = NOW) -> None:
    response = client.post("/_sandbox/clock", json={"set": at, "freeze": True})
    assert response.status_code == 200, response.text


DEFAULT_LINES = "Service,Work,10,100.00,1000.0,false,false,"  # 1000.00, untaxed


def invoice_xml(client_id: int = 46066, lines: str | None = DEFAULT_LINES, **fields: str) -> bytes:
    """An `<invoice>` body (1000.00 unless other `lines` are given; None sends no lines)."""
    parts = [f'  <client-id type="integer">{client_id}</client-id>']
    for name, value in fields.items():
        parts.append(f"  <{name.replace('_', '-')}>{value}</{name.replace('_', '-')}>")
    if lines is not None:
        parts.append(f"  <csv-line-items>\n{CSV_HEADER}\n{lines}\n  </csv-line-items>")
    return ("<invoice>\n" + "\n".join(parts) + "\n</invoice>").encode()


def payment_xml(amount: str, paid_at: str = "2026-03-01T09:00:00Z", notes: str | None = None,
                typed: bool = True) -> bytes:
    decimal = ' type="decimal"' if typed else ""
    datetime_ = ' type="datetime"' if typed else ""
    note = f"\n  <notes>{notes}</notes>" if notes is not None else ""
    return (f"<payment>\n  <paid-at{datetime_}>{paid_at}</paid-at>\n"
            f"  <amount{decimal}>{amount}</amount>{note}\n</payment>").encode()


def fields(body: bytes) -> dict[str, str | None]:
    """The children of an XML record as {dashed-name: text} (None for nil="true")."""
    root = ET.fromstring(body)
    return {child.tag: (None if child.get("nil") == "true" else (child.text or ""))
            for child in root}


def records(body: bytes) -> list[dict[str, str | None]]:
    root = ET.fromstring(body)
    if root.tag == "nil-classes":
        return []
    return [{child.tag: (None if child.get("nil") == "true" else (child.text or ""))
             for child in item} for item in root]


def tag_order(body: bytes) -> list[str]:
    return [child.tag for child in ET.fromstring(body)]


class Harvest:
    """One account's view of the sandbox: requests carry its credentials (and Host)."""

    def __init__(self, http: TestClient, email: str = "tester@example.com",
                 password: str = "s3cret", host: str | None = None) -> None:
        self.http = http
        self.headers = basic_header(email, password)
        if host is not None:
            self.headers["Host"] = host

    def call(self, method: str, path: str, body: bytes | None = None, *, fmt: str = "xml",
             headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        media = "application/json" if fmt == "json" else "application/xml"
        sent = {"Accept": media, "Content-Type": media, **self.headers, **(headers or {})}
        return self.http.request(method, path, content=body, headers=sent, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: bytes | None = None, **kwargs: Any) -> httpx.Response:
        return self.call("POST", path, body, **kwargs)

    def put(self, path: str, body: bytes | None = None, **kwargs: Any) -> httpx.Response:
        return self.call("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.call("DELETE", path, **kwargs)

    # --- shortcuts ---------------------------------------------------------------------------

    def create_invoice(self, body: bytes | None = None, **kwargs: Any) -> int:
        response = self.post("/invoices", body or invoice_xml(), **kwargs)
        assert response.status_code == 201, response.text
        return int(response.headers["Location"].rsplit("/", 1)[1])

    def invoice(self, invoice_id: int) -> dict[str, Any]:
        response = self.get(f"/invoices/{invoice_id}", fmt="json")
        assert response.status_code == 200, response.text
        return dict(response.json()["invoice"])

    def pay(self, invoice_id: int, amount: str) -> int:
        response = self.post(f"/invoices/{invoice_id}/payments", payment_xml(amount))
        assert response.status_code == 201, response.text
        return int(response.headers["Location"].rsplit("/", 1)[1])

    def send(self, invoice_id: int) -> int:
        body = b"<invoice-message><recipients>ap@client.example</recipients></invoice-message>"
        response = self.post(f"/invoices/{invoice_id}/messages", body)
        assert response.status_code == 201, response.text
        return int(response.headers["Location"].rsplit("/", 1)[1])

    def snapshot(self) -> dict[str, Any]:
        """Everything the account can see, for "a refused request wrote nothing" checks."""
        state: dict[str, Any] = {}
        page = 1
        while True:
            listed = self.get(f"/invoices?page={page}", fmt="json")
            assert listed.status_code == 200, listed.text
            rows = listed.json()
            for row in rows:
                invoice_id = row["invoices"]["id"]
                state[str(invoice_id)] = {
                    "invoice": self.get(f"/invoices/{invoice_id}", fmt="json").json(),
                    "payments": self.get(f"/invoices/{invoice_id}/payments", fmt="json").json(),
                    "messages": self.get(f"/invoices/{invoice_id}/messages", fmt="json").json(),
                }
            if len(rows) < 50:
                return state
            page += 1


def dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
