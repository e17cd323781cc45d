"""Helpers for the PayOne tests: a SmartLink client speaking the real wire format (a form field
holding JSON), invoice bodies, and a full-state snapshot for "a failed request wrote nothing"."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from fastapi.testclient import TestClient
from invoice_sandbox.core.tables import Delivery, Invoice, Payment, Tenant
from sqlmodel import select

SERVICE = "/URL2PayAdminWeb/rest/InvoicesService/"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# The merchant and token of the published samples.
MERCHANT = "abcMerchant"
TOKEN = "ODYxNTY2ZTI4MmJmMzUyM2VhYmUyMGYx"
DEMO_MERCHANT = "demoMerchant"
DEMO_TOKEN = "ZGVtby1zbWFydGxpbmstdG9rZW4tMDAx"
# The sandbox clock is frozen here in most tests: 13:30 in UTC+3.
NOW = "2026-03-02T10:30:00Z"
DECLINED_CARD = "4000000000000002"

FIELD = {
    "createInvoice": "invoices",
    "createPreAuthInvoice": "invoices",
    "inquireInvoice": "invoice",
    "deactivateInvoice": "invoice",
    "activateInvoice": "invoice",
    "completeInvoice": "invoices",
    "refundInvoice": "invoice",
}


def item(invoice_id: str = "INV-1", **fields: Any) -> dict[str, Any]:
    """A valid `invoicesDetails` element; `None` values drop a field."""
    body: dict[str, Any] = {
        "invoiceID": invoice_id,
        "amount": "100",
        "currency": "682",
        "paymentDescription": "Order 1",
        "customerID": "CUST-1",
        "customerEmailAddress": "buyer@example.com",
        "customerMobileNumber": "00966500000000",
        "language": "en",
        "expiryperiod": "3D",
        "notifyMe": "no",
        "generateQRCode": "no",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def freeze(http: TestClient, instant: str = NOW) -> None:
    """Stop the sandbox clock exactly at `instant`."""
    for change in ({"freeze": True}, {"set": instant}):
        r = http.post("/_sandbox/clock", json=change)
        assert r.status_code == 200, r.text


def advance(http: TestClient, seconds: float) -> None:
    r = http.post("/_sandbox/clock", json={"advance": seconds})
    assert r.status_code == 200, r.text


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


def card_pay(http: TestClient, link: str, card: str | None = None) -> httpx.Response:
    body = {} if card is None else {"card_number": card}
    return http.post(f"/_sandbox/checkout/{token_of(link)}/pay", json=body)


class PayOne:
    """One merchant's view of SmartLink."""

    def __init__(self, http: TestClient, merchant: str = MERCHANT, token: str = TOKEN) -> None:
        self.http = http
        self.merchant = merchant
        self.token = token

    def document(self, **fields: Any) -> dict[str, Any]:
        return {"merchantID": self.merchant, "authenticationToken": self.token, **fields}

    def post(self, operation: str, body: str | bytes, **kw: Any) -> httpx.Response:
        return self.http.post(SERVICE + operation, content=body, headers={**FORM, **kw})

    def call(self, operation: str, document: Any, *, field: str | None = None,
             raw: bool = False) -> httpx.Response:
        """POST `document` (JSON-encoded unless already a string) in the operation's form field,
        URL-encoded like a form library would, or `raw` like `"invoice=" + json`."""
        text = document if isinstance(document, str) else json.dumps(document)
        name = field or FIELD[operation]
        body = f"{name}={text}" if raw else urlencode({name: text})
        return self.post(operation, body)

    def ok(self, operation: str, document: Any, **kw: Any) -> Any:
        r = self.call(operation, document, **kw)
        assert r.status_code == 200, r.text
        body = r.json()
        assert "Error" not in body, body
        return body

    def error(self, operation: str, document: Any, code: str, *, status: int = 200,
              **kw: Any) -> dict[str, str]:
        r = self.call(operation, document, **kw)
        assert r.status_code == status, r.text
        body = r.json()
        assert set(body) == {"Error", "ErrorMessage"}, body
        assert body["Error"] == code, body
        return dict(body)

    # --- operations ------------------------------------------------------------------------

    def create(self, *items: dict[str, Any], pre_auth: bool = False) -> list[dict[str, Any]]:
        operation = "createPreAuthInvoice" if pre_auth else "createInvoice"
        body = self.ok(operation, self.document(invoicesDetails=list(items or [item()])))
        return list(body["invoicesDetails"])

    def create_one(self, invoice_id: str = "INV-1", *, pre_auth: bool = False,
                   **fields: Any) -> dict[str, Any]:
        return self.create(item(invoice_id, **fields), pre_auth=pre_auth)[0]

    def inquire(self, invoice_id: str) -> dict[str, Any]:
        return dict(self.ok("inquireInvoice", self.document(invoiceID=invoice_id)))

    def status(self, invoice_id: str) -> str:
        return str(self.inquire(invoice_id)["invoiceStatus"])

    def deactivate(self, invoice_id: str) -> httpx.Response:
        return self.call("deactivateInvoice", self.document(invoiceID=invoice_id))

    def activate(self, invoice_id: str) -> httpx.Response:
        return self.call("activateInvoice", self.document(invoiceID=invoice_id))

    def complete(self, *items: dict[str, Any]) -> httpx.Response:
        return self.call("completeInvoice", self.document(invoicesDetails=list(items)))

    def refund(self, invoice_id: str, amount: str | None = None) -> httpx.Response:
        extra = {} if amount is None else {"amount": amount}
        return self.call("refundInvoice", self.document(invoiceID=invoice_id, **extra))

    def pay(self, invoice_id: str, card: str | None = None) -> httpx.Response:
        return card_pay(self.http, self.inquire(invoice_id)["paymentLink"], card)


def quoted(document: dict[str, Any]) -> str:
    return quote(json.dumps(document), safe="")


def snapshot(http: TestClient) -> dict[str, list[dict[str, Any]]]:
    """Every row a request could have written: tenants, invoices, payments, deliveries."""
    sandbox = http.app.state.sandbox  # type: ignore[attr-defined]
    with sandbox.db.read() as session:
        return {
            model.__name__: [row.model_dump(mode="json") for row in
                             session.exec(select(model).order_by(model.id)).all()]
            for model in (Tenant, Invoice, Payment, Delivery)
        }


def stored_invoice(api: PayOne, invoice_id: str) -> dict[str, Any]:
    """The core's row for one of the merchant's invoices, as stored."""
    state = snapshot(api.http)
    tenant = next(t for t in state["Tenant"] if t["provider"] == "payone"
                  and t["key"] == api.merchant)
    return next(i for i in state["Invoice"] if i["tenant_id"] == tenant["id"]
                and i["ref"] == invoice_id)
