"""Sandbox extensions: invoices made and moved through the control plane, the ERP callback on
approval (delivered to a real receiver, retried), and the auto-approval configuration."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from transportone_kit import (
    BILLING,
    SANDBOX,
    Receiver,
    charge,
    detail,
    dump,
    envelope_error,
    login,
    make_invoice,
)

CONFIG = f"{BILLING}/autoapproval-configuration"


def move(client: TestClient, code: str, action: str, tenant: str = "acme",
         **body: Any) -> Any:
    return client.post(f"{SANDBOX}/{tenant}/invoices/{code}/{action}", json=body or None)


@pytest.mark.parametrize("state", ["DRAFT", "SUBMITTED", "REJECTED", "APPROVED",
                                   "PARTIALLY_PAID", "PAID", "CANCELLED"])
def test_create_in_any_state(client: TestClient, state: str) -> None:
    headers = login(client)
    payments = [{"appliedAmount": 100}] if state == "PARTIALLY_PAID" else []
    made = make_invoice(client, "INV-S-1", state=state, payments=payments)
    assert made["state"] == state and made["totalAmount"] == 1500.25
    assert made["uniqueCode"] == "INV-S-1" and len(made["charges"]) == 2
    assert detail(client, headers, "INV-S-1") == made
    if state == "PAID":
        assert made["paidAmount"] == 1500.25 and made["outstandingAmount"] == 0


def test_transitions_through_the_control_plane(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-T-1")
    submitted = move(client, "INV-T-1", "submit")
    assert submitted.status_code == 200 and submitted.json()["state"] == "SUBMITTED"
    rejected = move(client, "INV-T-1", "reject", shipperRejectionReasons=["Rate mismatch"],
                    shipperRejectionRemark="Use the Q4 rate card")
    assert rejected.json()["state"] == "REJECTED"
    assert rejected.json()["shipperRejectionReasons"] == ["Rate mismatch"]
    assert rejected.json()["shipperRejectionRemark"] == "Use the Q4 rate card"
    assert move(client, "INV-T-1", "submit").json()["state"] == "SUBMITTED"
    approved = move(client, "INV-T-1", "approve").json()
    assert approved["state"] == "APPROVED" and approved["approvalState"] == "APPROVED"
    assert {c["status"] for c in approved["charges"]} == {"APPROVED"}
    assert detail(client, headers, "INV-T-1")["approvedAt"] is not None


def test_refused_transitions_and_bad_control_input(client: TestClient) -> None:
    make_invoice(client, "INV-T-2")
    before = dump(client)
    refused = move(client, "INV-T-2", "approve")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "transition_refused"
    assert move(client, "INV-T-2", "reject").status_code == 409
    assert move(client, "INV-NONE", "submit").status_code == 404
    assert move(client, "INV-T-2", "submit", tenant="nobody").status_code == 404
    assert move(client, "INV-T-2", "pay").status_code == 404
    bad_bodies: list[tuple[dict[str, Any], str]] = [
        ({"invoiceNumber": "N", "transporterId": "T", "transporterName": "X"}, "uniqueCode"),
        ({"uniqueCode": "INV-T-2", "invoiceNumber": "N", "transporterId": "T",
          "transporterName": "X"}, "already exists"),
        ({"uniqueCode": "INV-T-3", "invoiceNumber": "N", "transporterId": "T",
          "transporterName": "X", "state": "LOST"}, "state"),
        ({"uniqueCode": "INV-T-3", "invoiceNumber": "N", "transporterId": "T",
          "transporterName": "X", "charges": [charge("C-1", -4)]}, "charges[0].amount"),
        ({"uniqueCode": "INV-T-3", "invoiceNumber": "N", "transporterId": "T",
          "transporterName": "X", "state": "PARTIALLY_PAID"}, "state"),
        ({"uniqueCode": "INV-T-3", "invoiceNumber": "N", "transporterId": "T",
          "transporterName": "X", "payments": [{"appliedAmount": 1}]}, "payments"),
        ({"uniqueCode": "INV-T-3", "invoiceNumber": "N", "transporterId": "T",
          "transporterName": "X", "charges": [charge("INV-T-2-C1", 4)]}, "already exists"),
    ]
    for body, text in bad_bodies:
        response = client.post(f"{SANDBOX}/acme/invoices", json=body)
        assert response.status_code in (400, 409), body
        assert text in response.json()["error"]["message"], response.json()
    response = client.post(f"{SANDBOX}/acme/invoices", content=b"nope")
    assert response.status_code == 400 and "error" in response.json()
    response = client.post(f"{SANDBOX}/bad%20tenant/invoices", json={})
    assert response.status_code == 400
    assert dump(client) == before


def test_approval_is_posted_to_the_erp_callback(client: TestClient) -> None:
    headers = login(client)
    with Receiver() as receiver:
        registered = client.put(f"{SANDBOX}/acme/erp-callback",
                                json={"url": f"{receiver.url}/erp/invoices", "secret": "s3"})
        assert registered.json() == {"url": f"{receiver.url}/erp/invoices", "secret_set": True}
        assert client.get(f"{SANDBOX}/acme/erp-callback").json()["url"].endswith("/invoices")
        make_invoice(client, "INV-E-1", state="SUBMITTED")
        response = client.post(f"{BILLING}/charge/reject", headers=headers, json={
            "rejectedCharges": [], "approveRemaining": True, "invoiceId": "INV-E-1"})
        assert response.status_code == 200
        delivered = receiver.wait()[0]
    assert delivered["path"] == "/erp/invoices"
    sent = delivered["headers"]
    assert sent["x-coreos-tid"] == "acme" and sent["x-tms-callback-secret"] == "s3"
    assert sent["x-coreos-request-id"] and sent["content-type"] == "application/json"
    assert "x-coreos-userinfo" in sent
    body = delivered["body"]
    assert body["eventType"] == "INVOICE_APPROVED"
    assert body["data"]["uniqueCode"] == "INV-E-1" and body["data"]["state"] == "APPROVED"
    assert body["data"]["totalAmount"] == 1500.25 and len(body["data"]["charges"]) == 2


def test_callback_delivery_is_retried_and_recorded(client: TestClient) -> None:
    with Receiver(statuses=[500, 503]) as receiver:
        client.post(f"{SANDBOX}/acme/erp-callback", json={"url": receiver.url})
        make_invoice(client, "INV-E-2", state="SUBMITTED")
        assert move(client, "INV-E-2", "approve").status_code == 200
        attempts = receiver.wait(3)
        assert [a["status"] for a in attempts[:3]] == [500, 503, 200]
        assert "x-tms-callback-secret" not in attempts[2]["headers"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            rows = client.get("/_sandbox/deliveries",
                              params={"provider": "transportone"}).json()["deliveries"]
            if rows and rows[0]["state"] == "delivered":
                break
            time.sleep(0.05)
    assert rows[0]["event"] == "INVOICE_APPROVED" and rows[0]["state"] == "delivered"
    assert [a["status_code"] for a in rows[0]["attempts"]] == [500, 503, 200]


def test_erp_callback_registration_rules(client: TestClient) -> None:
    assert client.get(f"{SANDBOX}/nobody/erp-callback").status_code == 404
    for body in ({}, {"url": "not a url"}, {"url": "ftp://erp"}, {"url": 5},
                 {"url": "http://erp", "secret": 1}):
        response = client.put(f"{SANDBOX}/acme/erp-callback", json=body)
        assert response.status_code == 400, body
    client.put(f"{SANDBOX}/acme/erp-callback", json={"url": "http://erp.example/x"})
    removed = client.delete(f"{SANDBOX}/acme/erp-callback")
    assert removed.json() == {"url": None, "secret_set": False}
    # no callback registered: approving queues nothing
    make_invoice(client, "INV-E-3", state="SUBMITTED")
    move(client, "INV-E-3", "approve")
    assert client.get("/_sandbox/deliveries").json()["deliveries"] == []


def test_auto_approval_configuration(client: TestClient) -> None:
    headers = login(client)
    default = client.get(f"{CONFIG}/", params={"latest": "true"}, headers=headers)
    assert default.json()["data"]["enabled"] is False and default.json()["data"]["version"] == 0
    assert client.get(CONFIG, headers=headers).json()["data"] == {"configurations": [],
                                                                  "total": 0}
    envelope_error(client.get(CONFIG, params={"latest": "maybe"}, headers=headers), 400,
                   "VALIDATION_ERROR")
    made = client.put(f"{SANDBOX}/acme/autoapproval-configuration",
                      json={"enabled": True, "maxDifferenceAmount": 100})
    assert made.status_code == 200 and made.json()["version"] == 1
    latest = client.get(CONFIG, params={"latest": "true"}, headers=headers).json()["data"]
    assert latest["enabled"] is True and latest["maxDifferenceAmount"] == 100
    assert latest["maxInvoiceAmount"] is None and latest["isLatest"] is True
    # within the tolerated difference: approved on submission, and the ERP hears of it
    make_invoice(client, "INV-AA-1", charges=[charge("AA-1", 1050, systemAmount=1000)])
    with Receiver() as receiver:
        client.put(f"{SANDBOX}/acme/erp-callback", json={"url": receiver.url})
        moved = client.post(f"{SANDBOX}/acme/invoices/INV-AA-1/submit").json()
        assert moved["state"] == "APPROVED" and moved["approvedBy"] == "AUTO_APPROVAL"
        assert receiver.wait()[0]["body"]["data"]["uniqueCode"] == "INV-AA-1"
        client.delete(f"{SANDBOX}/acme/erp-callback")
    # beyond it: left for the shipper
    make_invoice(client, "INV-AA-2", charges=[charge("AA-2", 1200, systemAmount=1000)])
    assert client.post(f"{SANDBOX}/acme/invoices/INV-AA-2/submit").json()["state"] == \
        "SUBMITTED"
    client.post(f"{SANDBOX}/acme/autoapproval-configuration", json={"enabled": False})
    versions = client.get(CONFIG, params={"latest": "false"}, headers=headers).json()["data"]
    assert versions["total"] == 2
    assert [(v["version"], v["enabled"], v["isLatest"]) for v in versions["configurations"]] == \
        [(2, False, True), (1, True, False)]
    assert client.get(f"{SANDBOX}/acme/autoapproval-configuration").json()["version"] == 2
    for body in ({}, {"enabled": "yes"}, {"enabled": True, "maxDifferenceAmount": -1}):
        response = client.put(f"{SANDBOX}/acme/autoapproval-configuration", json=body)
        assert response.status_code == 400, body
