"""Charge rejection (with approveRemaining) and bulk charge create/update."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from transportone_kit import (
    BILLING,
    SANDBOX,
    charge,
    detail,
    dump,
    envelope_error,
    login,
    make_invoice,
)

REJECT = f"{BILLING}/charge/reject"
BULK = f"{BILLING}/bulk-process-charge"


def charges_by_code(invoice: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["uniqueCode"]: c for c in invoice["charges"]}


def submitted(client: TestClient, code: str = "INV-RJ-1") -> None:
    make_invoice(client, code, state="SUBMITTED", charges=[
        charge(f"{code}-A", 40000), charge(f"{code}-B", 2500), charge(f"{code}-C", 800)])


def test_reject_some_and_approve_remaining(client: TestClient) -> None:
    headers = login(client)
    submitted(client)
    response = client.post(REJECT, headers=headers, json={
        "rejectedCharges": [{"uniqueCode": "INV-RJ-1-B",
                             "shipperRejectionReason": "Loading not agreed"}],
        "approveRemaining": True, "invoiceId": "INV-RJ-1"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["invoiceState"] == "APPROVED" and data["rejectedCharges"] == ["INV-RJ-1-B"]
    assert data["approvedCharges"] == ["INV-RJ-1-A", "INV-RJ-1-C"]
    invoice = detail(client, headers, "INV-RJ-1")
    assert invoice["state"] == "APPROVED" and isinstance(invoice["approvedAt"], int)
    assert invoice["totalAmount"] == 40800
    found = charges_by_code(invoice)
    assert found["INV-RJ-1-B"]["status"] == "REJECTED"
    assert found["INV-RJ-1-B"]["shipperRejectionReason"] == "Loading not agreed"
    assert found["INV-RJ-1-A"]["status"] == found["INV-RJ-1-C"]["status"] == "APPROVED"
    assert found["INV-RJ-1-A"]["invoiceStatus"] == "APPROVED"


def test_reject_without_approving_sends_the_invoice_back(client: TestClient) -> None:
    headers = login(client)
    submitted(client)
    response = client.post(f"{REJECT}/", headers=headers, json={
        "rejectedCharges": [{"uniqueCode": "INV-RJ-1-C", "shipperRejectionReason": "No POD"}],
        "approveRemaining": False, "invoiceId": "INV-RJ-1"})
    assert response.json()["data"]["invoiceState"] == "REJECTED"
    invoice = detail(client, headers, "INV-RJ-1")
    assert invoice["state"] == "REJECTED" and invoice["shipperRejectionReasons"] == ["No POD"]
    assert invoice["approvalState"] == "REJECTED" and invoice["totalAmount"] == 42500
    # the transporter revises the charge: it is billable again, and the invoice goes back up
    response = client.post(BULK, headers=headers, json={"update": [
        {"uniqueCode": "INV-RJ-1-C", "amount": 750, "transporterRemarks": "POD attached"}]})
    assert response.status_code == 200
    revised = response.json()["data"]["updated"][0]
    assert revised["status"] == "BILLABLE" and revised["shipperRejectionReason"] is None
    assert detail(client, headers, "INV-RJ-1")["totalAmount"] == 43250
    moved = client.post(f"{SANDBOX}/acme/invoices/INV-RJ-1/submit")
    assert moved.status_code == 200 and moved.json()["state"] == "SUBMITTED"


def test_approve_remaining_without_rejections_approves_everything(client: TestClient) -> None:
    headers = login(client)
    submitted(client)
    response = client.post(REJECT, headers=headers,
                           json={"rejectedCharges": [], "approveRemaining": True,
                                 "invoiceId": "INV-RJ-1"})
    assert response.json()["data"]["approvedCharges"] == ["INV-RJ-1-A", "INV-RJ-1-B",
                                                          "INV-RJ-1-C"]
    assert detail(client, headers, "INV-RJ-1")["totalAmount"] == 43300


def test_rejecting_every_charge_rejects_the_invoice(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-ALL-1", state="SUBMITTED", charges=[charge("CHG-ALL-1", 10)])
    response = client.post(REJECT, headers=headers, json={
        "rejectedCharges": [{"uniqueCode": "CHG-ALL-1"}], "approveRemaining": True,
        "invoiceId": "INV-ALL-1"})
    assert response.json()["data"]["invoiceState"] == "REJECTED"
    assert detail(client, headers, "INV-ALL-1")["totalAmount"] == 0


@pytest.mark.parametrize("body,status,code,field", [
    ({"rejectedCharges": [], "approveRemaining": False, "invoiceId": "INV-RJ-1"}, 400,
     "VALIDATION_ERROR", "rejectedCharges"),
    ({"rejectedCharges": [{"uniqueCode": "INV-RJ-1-A"}], "approveRemaining": True}, 400,
     "VALIDATION_ERROR", "invoiceId"),
    ({"rejectedCharges": "INV-RJ-1-A", "invoiceId": "INV-RJ-1"}, 400, "VALIDATION_ERROR",
     "rejectedCharges"),
    ({"rejectedCharges": [{"shipperRejectionReason": "x"}], "invoiceId": "INV-RJ-1"}, 400,
     "VALIDATION_ERROR", "rejectedCharges[0].uniqueCode"),
    ({"rejectedCharges": [{"uniqueCode": "INV-RJ-1-A"}], "approveRemaining": "yes",
      "invoiceId": "INV-RJ-1"}, 400, "VALIDATION_ERROR", "approveRemaining"),
    ({"rejectedCharges": [{"uniqueCode": "INV-RJ-1-A"}, {"uniqueCode": "INV-RJ-1-A"}],
      "invoiceId": "INV-RJ-1"}, 400, "VALIDATION_ERROR", "uniqueCode"),
    ({"rejectedCharges": [{"uniqueCode": "bad code"}], "invoiceId": "INV-RJ-1"}, 400,
     "INVALID_CHARGE_ID", "charge"),
    ({"rejectedCharges": [{"uniqueCode": "CHG-NONE"}], "invoiceId": "INV-RJ-1"}, 404,
     "CHARGE_NOT_FOUND", "CHG-NONE"),
    ({"rejectedCharges": [{"uniqueCode": "INV-OTHER-A"}], "invoiceId": "INV-RJ-1"}, 400,
     "VALIDATION_ERROR", "INV-OTHER-A"),
    ({"rejectedCharges": [{"uniqueCode": "INV-RJ-1-A"}], "invoiceId": "INV-NONE"}, 404,
     "INVOICE_NOT_FOUND", "INV-NONE"),
    ({"rejectedCharges": [{"uniqueCode": "INV-OTHER-A"}], "invoiceId": "INV-OTHER"}, 403,
     "INVOICE_NOT_PENDING_APPROVAL", "DRAFT"),
])
def test_bad_rejections_write_nothing(client: TestClient, body: dict[str, Any], status: int,
                                      code: str, field: str) -> None:
    headers = login(client)
    submitted(client)
    make_invoice(client, "INV-OTHER", charges=[charge("INV-OTHER-A", 5)])
    before = dump(client)
    assert field in envelope_error(client.post(REJECT, headers=headers, json=body), status, code)
    assert dump(client) == before


def test_bulk_create_and_update(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-BK-1", charges=[charge("CHG-BK-1", 1000)])
    who = {"x-coreos-userinfo": json.dumps({"id": "u-7", "name": "Asha Rao"})}
    response = client.post(f"{BULK}/", headers={**headers, **who}, json={
        "create": [
            {"uniqueCode": "CHG-BK-2", "chargeHead": "Toll Charges", "chargeType": "EXPENSE",
             "amount": 350.75, "invoiceId": "INV-BK-1", "indentId": "IND-5"},
            {"chargeHead": "Freight Charges", "amount": 9000},  # not invoiced yet
        ],
        "update": [{"uniqueCode": "CHG-BK-1", "amount": 1100, "systemAmount": 1000}],
    })
    assert response.status_code == 200
    data = response.json()["data"]
    assert [c["uniqueCode"] for c in data["created"]][0] == "CHG-BK-2"
    generated = data["created"][1]
    assert generated["uniqueCode"].startswith("CHG-") and generated["invoiceId"] is None
    assert generated["chargeType"] == "EXPENSE" and generated["status"] == "BILLABLE"
    assert data["updated"][0]["amount"] == 1100 and data["updated"][0]["systemAmount"] == 1000
    assert data["updated"][0]["amountUpdatedBy"] == "Asha Rao"
    assert data["created"][0]["amountUpdatedBy"] is None  # never changed
    invoice = detail(client, headers, "INV-BK-1")
    # differenceAmount is a string, as in the documented examples
    assert invoice["totalAmount"] == 1450.75 and invoice["differenceAmount"] == "100.00"
    # attach the loose charge, and take one out of billing
    response = client.post(BULK, headers=headers, json={"update": [
        {"uniqueCode": generated["uniqueCode"], "invoiceId": "INV-BK-1"},
        {"uniqueCode": "CHG-BK-2", "status": "NON_BILLABLE"}]})
    assert response.status_code == 200
    assert detail(client, headers, "INV-BK-1")["totalAmount"] == 10100


def test_bulk_is_all_or_nothing(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-BK-D", charges=[charge("CHG-BK-D", 10)])
    make_invoice(client, "INV-BK-A", state="APPROVED", charges=[charge("CHG-BK-A", 10)])
    make_invoice(client, "INV-BK-E", charges=[charge("CHG-BK-E", 10)])
    before = dump(client)
    good = {"chargeHead": "Freight Charges", "amount": 5, "invoiceId": "INV-BK-D"}
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        ({"create": [good, {**good, "invoiceId": "INV-BK-A"}]}, 403, "INVOICE_NOT_EDITABLE",
         "APPROVED"),
        ({"create": [good], "update": [{"uniqueCode": "CHG-BK-A", "amount": 1}]}, 403,
         "INVOICE_NOT_EDITABLE", "APPROVED"),
        ({"create": [good], "update": [{"uniqueCode": "CHG-NONE", "amount": 1}]}, 404,
         "CHARGE_NOT_FOUND", "CHG-NONE"),
        ({"create": [{**good, "uniqueCode": "CHG-BK-D"}]}, 409, "ALREADY_EXISTS", "CHG-BK-D"),
        ({"create": [{**good, "invoiceId": "INV-NONE"}]}, 404, "INVOICE_NOT_FOUND", "INV-NONE"),
        ({"update": [{"uniqueCode": "CHG-BK-D", "invoiceId": "INV-BK-E"}]}, 400,
         "VALIDATION_ERROR", "another invoice"),
        ({"create": [good, {**good, "amount": -1}]}, 400, "VALIDATION_ERROR", "create[1].amount"),
        ({"create": [{**good, "amount": "5"}]}, 400, "VALIDATION_ERROR", "create[0].amount"),
        ({"create": [{**good, "amount": 1.005}]}, 400, "VALIDATION_ERROR", "create[0].amount"),
        ({"create": [{**good, "amount": True}]}, 400, "VALIDATION_ERROR", "create[0].amount"),
        ({"create": [{"amount": 5}]}, 400, "VALIDATION_ERROR", "create[0].chargeHead"),
        ({"create": [{**good, "status": "APPROVED"}]}, 400, "VALIDATION_ERROR",
         "create[0].status"),
        ({"create": [{**good, "systemAmount": -3}]}, 400, "VALIDATION_ERROR",
         "create[0].systemAmount"),
        ({"create": [{**good, "supportingDocs": "pod.pdf"}]}, 400, "VALIDATION_ERROR",
         "supportingDocs"),
        ({"update": [{"amount": 5}]}, 400, "VALIDATION_ERROR", "update[0].uniqueCode"),
        ({"create": {"chargeHead": "x"}}, 400, "VALIDATION_ERROR", "create"),
        ({"create": [], "update": []}, 400, "VALIDATION_ERROR", "create"),
        ({"create": [{**good, "uniqueCode": "DUP"}, {**good, "uniqueCode": "DUP"}]}, 400,
         "VALIDATION_ERROR", "DUP"),
        ({"create": [7]}, 400, "VALIDATION_ERROR", "create[0]"),
    ]
    for body, status, code, text in cases:
        response = client.post(BULK, headers=headers, json=body)
        assert text in envelope_error(response, status, code), body
    assert dump(client) == before
