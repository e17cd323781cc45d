"""The npm Harvest clients, run by Node.js against a served sandbox: `harvest@0.1.5` (restler,
JSON bodies, the account found by the Basic user) and `harvest@1.0.11` (request; fields as
`invoice[...]` in the query string, trailing-slash paths, the account by Host). Each drives
invoices, payments, messages and state actions; only the base URL differs from the real API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from clients_support import run_node

LINES_HEADER = "kind,description,quantity,unit_price,amount,taxed,taxed2,project_id"


def test_harvest_0_1_5(served: Callable[..., Any]) -> None:
    server = served("--fixtures", "none")
    out = run_node("harvest-0.js", server.url, "zero@zero.example", "pw")
    assert out["create"]["status"] == 201
    invoice = out["show"]["invoice"]
    assert (invoice["subject"], invoice["amount"], invoice["tax_amount"]) == (
        "Made by node-harvest 0.1", 825, 75)
    assert invoice["tax2_amount"] == 0 and invoice["state"] == "draft"
    assert invoice["csv_line_items"] == (f"{LINES_HEADER}\n"
                                         "Service,Audit,3.00,250.00,750.0,true,false,\n")
    assert out["update"] == 200
    assert [row["invoices"]["notes"] for row in out["list"]] == ["net 30 please"]
    assert out["payment"]["status"] == 201
    assert out["payment"]["location"].startswith(f"/invoice/{invoice['id']}/payments/")
    [payment] = out["payments"]
    assert payment == out["paymentShown"]
    assert (payment["payment"]["amount"], payment["payment"]["notes"]) == (825, "wire")
    assert out["paidState"] == "paid"  # paid before it was sent, as the live API did
    assert out["send"]["status"] == 201
    [message] = out["messages"]
    assert message == out["messageShown"]
    assert message["message"]["full_recipient_list"] == "billing@globex.example"
    assert out["deletePayment"] == 200 and out["openState"] == "open"
    assert (out["markDraft"], out["markSent"], out["markClosed"]) == (200, 200, 200)
    assert out["closedState"] == "closed"
    assert (out["markOpen"], out["finalState"]) == (200, "open")
    assert (out["deleteMessage"], out["deleteInvoice"], out["gone"]) == (200, 200, 404)


def test_harvest_1_0_11(served: Callable[..., Any]) -> None:
    server = served("--fixtures", "none")
    added = httpx.post(f"{server.url}/_sandbox/harvest/accounts/nodeco/users",
                       json={"email": "node@nodeco.example", "password": "pw"})
    assert added.status_code == 201
    out = run_node("harvest-1.js", server.url, "nodeco.localhost", "node@nodeco.example", "pw")
    assert out["create"]["status"] == 201  # POST /invoices/ with the fields in the query
    invoice = out["show"]["invoice"]
    assert (invoice["subject"], invoice["amount"], invoice["due_at"]) == (
        "Made by node-harvest 1.x", 480, "2026-03-16")
    assert (out["update"], out["renamed"]["invoice"]["subject"]) == (
        200, "Renamed by node-harvest 1.x")
    assert out["payment"]["status"] == 201
    [payment] = out["payments"]
    assert payment == out["paymentShown"]
    assert (payment["payment"]["amount"], payment["payment"]["notes"]) == (200, "half")
    after = out["afterPayment"]["invoice"]
    assert (after["state"], after["due_amount"]) == ("partial", 280)
    assert out["send"]["status"] == 201
    [message] = out["messages"]
    assert (message["message"]["body"], message["message"]["sent_by_email"]) == (
        "Please pay", "node@nodeco.example")
    assert (out["close"], out["closed"], out["reopen"], out["reopened"]) == (
        200, "closed", 200, "partial")
    assert [row["invoices"]["id"] for row in out["partialList"]] == [invoice["id"]]
    assert (out["deleteMessage"], out["deletePayment"]) == (200, 200)
    assert (out["afterDelete"]["state"], out["afterDelete"]["due_amount"]) == ("open", 480)
    assert (out["deleteInvoice"], out["gone"]) == (200, 404)
