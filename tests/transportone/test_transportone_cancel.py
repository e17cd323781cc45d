"""Both cancel endpoints: the documented request and response, the lifecycle rule, bad input."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from transportone_kit import BILLING, SANDBOX, detail, dump, envelope_error, login, make_invoice

CANCEL = f"{BILLING}/transporter/cancel-invoice"
DOCUMENTED_RESPONSE = (
    '{ "data": { "success": true, "message": "Invoice cancelled successfully", '
    '"invoiceId": "INV-20241201-001" }, "message": "Success", "status": "success" }'
)


def test_documented_cancel_request_and_response(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-20241201-001", state="SUBMITTED")
    response = client.post(
        CANCEL,
        headers={**headers, "accept": "application/json", "content-type": "application/json"},
        content=b'{ "invoiceId": "INV-20241201-001", '
                b'"cancellationReason": "Customer requested cancellation" }',
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == json.loads(DOCUMENTED_RESPONSE)
    assert list(response.json()) == ["data", "message", "status"]
    assert list(response.json()["data"]) == ["success", "message", "invoiceId"]
    invoice = detail(client, headers, "INV-20241201-001")
    assert invoice["state"] == "CANCELLED"
    assert invoice["cancellationReason"] == "Customer requested cancellation"
    assert isinstance(invoice["cancelledAt"], int)


@pytest.mark.parametrize("suffix", ["", "/"])
def test_cancel_by_path_with_and_without_slash(client: TestClient, suffix: str) -> None:
    headers = login(client)
    make_invoice(client, "INV-P-1")
    response = client.post(f"{CANCEL}/INV-P-1{suffix}", headers=headers)
    assert response.json() == {"data": {"success": True,
                                        "message": "Invoice cancelled successfully",
                                        "invoiceId": "INV-P-1"},
                               "message": "Success", "status": "success"}
    make_invoice(client, "INV-P-2")
    response = client.post(f"{CANCEL}{suffix}", headers=headers, json={"invoiceId": "INV-P-2"})
    assert response.status_code == 200
    assert detail(client, headers, "INV-P-2")["state"] == "CANCELLED"


def test_cancel_by_path_takes_an_optional_reason(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-R-1", state="REJECTED")
    response = client.post(f"{CANCEL}/INV-R-1", headers=headers,
                           json={"cancellationReason": "Rates renegotiated"})
    assert response.status_code == 200
    assert detail(client, headers, "INV-R-1")["cancellationReason"] == "Rates renegotiated"


@pytest.mark.parametrize("state", ["DRAFT", "SUBMITTED", "REJECTED"])
def test_cancellable_states(client: TestClient, state: str) -> None:
    headers = login(client)
    make_invoice(client, "INV-C-1", state=state)
    assert client.post(f"{CANCEL}/INV-C-1", headers=headers).status_code == 200
    invoice = detail(client, headers, "INV-C-1")
    assert invoice["state"] == "CANCELLED" and invoice["outstandingAmount"] == 0


@pytest.mark.parametrize("state", ["APPROVED", "PARTIALLY_PAID", "PAID", "CANCELLED"])
def test_cancel_refused_after_approval_writes_nothing(client: TestClient, state: str) -> None:
    headers = login(client)
    payments = [{"appliedAmount": 100}] if state in ("PARTIALLY_PAID", "PAID") else []
    make_invoice(client, "INV-X-1", state=state, payments=payments)
    before = dump(client)
    for response in (client.post(f"{CANCEL}/INV-X-1", headers=headers),
                     client.post(CANCEL, headers=headers, json={"invoiceId": "INV-X-1"})):
        message = envelope_error(response, 403, "INVOICE_CANNOT_BE_CANCELLED")
        assert state in message
    assert dump(client) == before
    assert detail(client, headers, "INV-X-1")["state"] == state


def test_unknown_and_malformed_ids(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-K-1")
    before = dump(client)
    envelope_error(client.post(f"{CANCEL}/INV-NOPE", headers=headers), 404, "INVOICE_NOT_FOUND")
    envelope_error(client.post(CANCEL, headers=headers, json={"invoiceId": "INV-NOPE"}), 404,
                   "INVOICE_NOT_FOUND")
    for bad in ("INV%201", "%24%24%24", "-leading-dash", "x" * 101):
        envelope_error(client.post(f"{CANCEL}/{bad}", headers=headers), 400,
                       "INVALID_INVOICE_ID")
    for bad in ("INV 1", "<script>", "", "a/b"):
        response = client.post(CANCEL, headers=headers, json={"invoiceId": bad})
        assert response.status_code == 400
        assert response.json()["errorCode"] in ("INVALID_INVOICE_ID", "VALIDATION_ERROR")
    assert dump(client) == before


def test_bad_cancel_bodies_name_the_field_and_write_nothing(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-B-1")
    before = dump(client)
    cases = [
        (b"", "body"),
        (b"invoiceId=INV-B-1", "body"),
        (b'"INV-B-1"', "body"),
        (b"{}", "invoiceId"),
        (b'{"cancellationReason": "x"}', "invoiceId"),
        (b'{"invoiceId": 12345}', "invoiceId"),
        (b'{"invoiceId": ["INV-B-1"]}', "invoiceId"),
        (b'{"invoiceId": "INV-B-1", "cancellationReason": 7}', "cancellationReason"),
        (b'{"invoiceId": "INV-B-1", "cancellationReason": "' + b"x" * 1001 + b'"}',
         "cancellationReason"),
    ]
    for raw, field in cases:
        response = client.post(CANCEL, headers={**headers, "content-type": "application/json"},
                               content=raw)
        assert field in envelope_error(response, 400, "VALIDATION_ERROR"), raw
    response = client.post(f"{CANCEL}/INV-B-1", headers=headers, content=b"{oops")
    envelope_error(response, 400, "VALIDATION_ERROR")
    huge = b'{"invoiceId": "INV-B-1", "cancellationReason": "' + b"x" * 1_100_000 + b'"}'
    envelope_error(client.post(CANCEL, headers=headers, content=huge), 413, "PAYLOAD_TOO_LARGE")
    assert dump(client) == before
    assert detail(client, headers, "INV-B-1")["state"] == "DRAFT"


def test_unknown_paths_and_methods_answer_in_the_envelope(client: TestClient) -> None:
    headers = login(client)
    for method, path in (("GET", f"{BILLING}/nope"), ("GET", "/tms/"), ("GET", "/core/x"),
                         ("DELETE", f"{CANCEL}/INV-1"), ("GET", CANCEL),
                         ("PUT", "/core/api/v1/aaa/auth/client-credentials")):
        response = client.request(method, path, headers=headers)
        envelope_error(response, 404, "NOT_FOUND")
    # the control plane keeps its own shape
    response = client.post(f"{SANDBOX}/acme/invoices/INV-1/explode")
    assert response.status_code == 404 and "error" in response.json()
