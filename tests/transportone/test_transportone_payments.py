"""ERP payments (`POST /payments`), payments of an invoice, and the asynchronous bulk upload."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from transportone_kit import (
    BILLING,
    Receiver,
    charge,
    detail,
    dump,
    envelope_error,
    login,
    make_invoice,
)

PAY = f"{BILLING}/payments"
UPLOAD = f"{BILLING}/shipper/bulk/upload/payment"


def approved(client: TestClient, code: str = "INV-PY-1", amount: Any = 10000) -> None:
    make_invoice(client, code, state="APPROVED", charges=[charge(f"{code}-A", amount)])


def test_erp_payments_move_the_invoice_to_partially_paid_then_paid(client: TestClient) -> None:
    headers = {**login(client), "x-coreos-userinfo": '{"id": "u-7", "name": "ERP Bot"}'}
    approved(client)
    first = client.post(PAY, headers=headers, json={
        "invoiceId": "INV-PY-1", "paymentType": "BANK_TRANSFER", "totalAmount": 5000,
        "appliedAmount": 4000.5, "paymentDate": 1733616000000,
        "referenceNumber": "UTR-1", "paymentRemarks": "first tranche",
        "bankDetails": {"bankName": "HDFC Bank", "accountNumber": "5010", "ifscCode": "HDFC01"}})
    assert first.status_code == 200
    paid = first.json()["data"]
    assert paid["paymentId"].startswith("PAY-") and paid["paymentStatus"] == "APPLIED"
    assert paid["totalAmount"] == 5000 and paid["appliedAmount"] == 4000.5
    assert paid["paymentDate"] == 1733616000000 and paid["appliedBy"] == "ERP Bot"
    assert paid["bankDetails"] == {"bankName": "HDFC Bank", "accountNumber": "5010",
                                   "ifscCode": "HDFC01"}
    assert paid["isDeleted"] is False and paid["invoiceNumber"] == "NUM-INV-PY-1"
    invoice = detail(client, headers, "INV-PY-1")
    assert invoice["state"] == "PARTIALLY_PAID"
    assert invoice["paidAmount"] == 4000.5 and invoice["outstandingAmount"] == 5999.5
    # the ERP may name the invoice by its number
    second = client.post(PAY, headers=headers, json={"invoiceNumber": "NUM-INV-PY-1",
                                                     "appliedAmount": 5999.5})
    assert second.status_code == 200
    assert detail(client, headers, "INV-PY-1")["state"] == "PAID"
    for suffix in ("", "/"):
        listed = client.get(f"{BILLING}/invoice/payments/INV-PY-1{suffix}", headers=headers)
        data = listed.json()["data"]
        assert data["total"] == 2 and data["invoiceId"] == "INV-PY-1"
        assert [p["appliedAmount"] for p in data["payments"]] == [4000.5, 5999.5]
        assert data["payments"][1]["paymentType"] == "BANK_TRANSFER"


def test_payments_of_an_invoice_without_any(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-NP-1")
    response = client.get(f"{BILLING}/invoice/payments/INV-NP-1/", headers=headers)
    assert response.json() == {"data": {"invoiceId": "INV-NP-1", "payments": [], "total": 0},
                               "message": "Success", "status": "success"}


def test_refused_payments_write_nothing(client: TestClient) -> None:
    headers = login(client)
    approved(client)
    make_invoice(client, "INV-PY-S", state="SUBMITTED")
    before = dump(client)
    cases: list[tuple[Any, int, str, str]] = [
        ({"invoiceId": "INV-PY-S", "appliedAmount": 1}, 403, "INVOICE_NOT_PAYABLE", "SUBMITTED"),
        ({"invoiceId": "INV-PY-1", "appliedAmount": 10000.01}, 400, "VALIDATION_ERROR",
         "appliedAmount"),
        ({"invoiceId": "INV-PY-1", "appliedAmount": -5}, 400, "VALIDATION_ERROR",
         "appliedAmount"),
        ({"invoiceId": "INV-PY-1", "appliedAmount": 0}, 400, "VALIDATION_ERROR",
         "appliedAmount"),
        ({"invoiceId": "INV-PY-1", "appliedAmount": "100"}, 400, "VALIDATION_ERROR",
         "appliedAmount"),
        ({"invoiceId": "INV-PY-1", "appliedAmount": 10, "totalAmount": 5}, 400,
         "VALIDATION_ERROR", "appliedAmount"),
        ({"appliedAmount": 10}, 400, "VALIDATION_ERROR", "invoiceId"),
        ({"invoiceId": "INV-PY-1"}, 400, "VALIDATION_ERROR", "appliedAmount"),
        ({"invoiceId": 17, "appliedAmount": 10}, 400, "VALIDATION_ERROR", "invoiceId"),
        ({"invoiceId": "INV-PY-1", "appliedAmount": 10, "paymentDate": "2024-12-01"}, 400,
         "VALIDATION_ERROR", "paymentDate"),
        ({"invoiceId": "INV-PY-1", "appliedAmount": 10, "bankDetails": "HDFC"}, 400,
         "VALIDATION_ERROR", "bankDetails"),
        ({"invoiceId": "INV-NONE", "appliedAmount": 10}, 404, "INVOICE_NOT_FOUND", "INV-NONE"),
        ({"invoiceNumber": "NO-SUCH", "appliedAmount": 10}, 404, "INVOICE_NOT_FOUND", "NO-SUCH"),
        ({"invoiceId": "INV-PY-1", "invoiceNumber": "NUM-OTHER", "appliedAmount": 10}, 400,
         "VALIDATION_ERROR", "invoiceNumber"),
        ([{"invoiceId": "INV-PY-1", "appliedAmount": 10}], 400, "VALIDATION_ERROR", "body"),
    ]
    for body, status, code, text in cases:
        response = client.post(PAY, headers=headers, json=body)
        assert text in envelope_error(response, status, code), body
    envelope_error(client.post(PAY, headers=headers, content=b"appliedAmount=10"), 400,
                   "VALIDATION_ERROR")
    assert dump(client) == before


def test_bulk_upload_is_accepted_then_reported_to_the_callback(client: TestClient) -> None:
    headers = {**login(client), "x-coreos-request-id": "bulk-0001"}
    approved(client, "INV-BU-1", 1000)
    approved(client, "INV-BU-2", 2000)
    with Receiver() as receiver:
        response = client.post(UPLOAD, headers=headers, json={
            "data": {"payments": [
                {"invoiceId": "INV-BU-1", "appliedAmount": 1000, "referenceNumber": "UTR-A"},
                {"invoiceNumber": "NUM-INV-BU-2", "appliedAmount": 500},
                {"invoiceId": "INV-NONE", "appliedAmount": 1},
                {"invoiceId": "INV-BU-2", "appliedAmount": 5000},
            ]},
            "callback": {"url": f"{receiver.url}/tms-results"}})
        assert response.status_code == 202
        assert response.json() == {"data": {"requestId": "bulk-0001", "uploadStatus": "ACCEPTED",
                                            "totalRecords": 4},
                                   "message": "Success", "status": "success"}
        delivered = receiver.wait()[0]
    assert delivered["path"] == "/tms-results"
    assert delivered["headers"]["x-coreos-tid"] == "acme"
    assert delivered["headers"]["x-coreos-request-id"] == "bulk-0001"
    result = delivered["body"]
    assert result["requestId"] == "bulk-0001" and result["uploadStatus"] == "PARTIALLY_COMPLETED"
    assert (result["successCount"], result["failureCount"]) == (2, 2)
    statuses = [(r["status"], r.get("errorCode")) for r in result["results"]]
    assert statuses == [("SUCCESS", None), ("SUCCESS", None), ("FAILED", "INVOICE_NOT_FOUND"),
                        ("FAILED", "VALIDATION_ERROR")]
    assert result["results"][0]["payment"]["referenceNumber"] == "UTR-A"
    assert detail(client, headers, "INV-BU-1")["state"] == "PAID"
    assert detail(client, headers, "INV-BU-2")["state"] == "PARTIALLY_PAID"
    deliveries = client.get("/_sandbox/deliveries", params={"provider": "transportone"}).json()
    assert [d["state"] for d in deliveries["deliveries"]] == ["delivered"]


def test_bulk_upload_without_callback_still_applies(client: TestClient) -> None:
    headers = login(client)
    approved(client, "INV-BU-3", 300)
    response = client.post(f"{UPLOAD}/", headers=headers, json={
        "data": {"payments": [{"invoiceId": "INV-BU-3", "appliedAmount": 300}]}})
    assert response.status_code == 202
    assert response.json()["data"]["requestId"].startswith("BPU-")
    # the upload is a background job: applied soon after the 202
    deadline = time.monotonic() + 20
    while detail(client, headers, "INV-BU-3")["state"] != "PAID" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert detail(client, headers, "INV-BU-3")["state"] == "PAID"


def test_malformed_bulk_uploads_write_nothing(client: TestClient) -> None:
    headers = login(client)
    approved(client, "INV-BU-4", 300)
    before = dump(client)
    good = {"invoiceId": "INV-BU-4", "appliedAmount": 10}
    cases: list[tuple[Any, str]] = [
        ({}, "data"),
        ({"data": []}, "data"),
        ({"data": {}}, "data.payments"),
        ({"data": {"payments": []}}, "data.payments"),
        ({"data": {"payments": [good, {"invoiceId": "INV-BU-4"}]}}, "data.payments[1]"),
        ({"data": {"payments": [{**good, "appliedAmount": -1}]}}, "data.payments[0]"),
        ({"data": {"payments": [good]}, "callback": {"url": "ftp://x"}}, "callback.url"),
        ({"data": {"payments": [good]}, "callback": {}}, "callback.url"),
        ({"data": {"payments": [good]}, "callback": "http://x"}, "callback"),
    ]
    for body, field in cases:
        response = client.post(UPLOAD, headers=headers, json=body)
        assert field in envelope_error(response, 400, "VALIDATION_ERROR"), body
    assert dump(client) == before
