"""Invoice and charge reads: lists with page/size/sortBy, pending approval, details, totals."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from transportone_kit import BILLING, charge, detail, envelope_error, login, make_invoice


def codes(response: object) -> list[str]:
    body = response.json()["data"]  # type: ignore[attr-defined]
    key = "invoices" if "invoices" in body else "charges"
    return [row["uniqueCode"] for row in body[key]]


def test_shipper_invoice_list_pages_and_sorts(client: TestClient) -> None:
    headers = login(client)
    for i in range(1, 6):
        make_invoice(client, f"INV-L-{i}")
        client.post("/_sandbox/clock", json={"advance": 60})
    url = f"{BILLING}/shipper/invoice/"
    first = client.get(url, params={"page": 1, "size": 2, "sortBy": "desc"}, headers=headers)
    assert codes(first) == ["INV-L-5", "INV-L-4"] and first.json()["data"]["total"] == 5
    assert codes(client.get(url, params={"page": 3, "size": 2}, headers=headers)) == ["INV-L-1"]
    assert codes(client.get(url, params={"page": 4, "size": 2}, headers=headers)) == []
    ascending = client.get(url.rstrip("/"), params={"sortBy": "asc"}, headers=headers)
    assert codes(ascending) == [f"INV-L-{i}" for i in range(1, 6)]
    # default: newest first, 100 per page
    assert codes(client.get(url, headers=headers))[0] == "INV-L-5"


@pytest.mark.parametrize("params,field", [
    ({"page": 0}, "page"), ({"page": "x"}, "page"), ({"size": 0}, "size"),
    ({"size": 1001}, "size"), ({"size": "-1"}, "size"), ({"sortBy": "newest"}, "sortBy"),
    ({"state": "LOST"}, "state"),
])
def test_list_query_errors_name_the_parameter(client: TestClient, params: dict[str, object],
                                               field: str) -> None:
    headers = login(client)
    response = client.get(f"{BILLING}/shipper/invoice", params=params, headers=headers)
    assert field in envelope_error(response, 400, "VALIDATION_ERROR")
    if field != "state":
        response = client.get(f"{BILLING}/shipper/charge", params=params, headers=headers)
        assert field in envelope_error(response, 400, "VALIDATION_ERROR")


def test_state_and_transporter_filters(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-F-1")
    make_invoice(client, "INV-F-2", state="SUBMITTED")
    make_invoice(client, "INV-F-3", state="APPROVED", transporterId="TRN-9")
    url = f"{BILLING}/shipper/invoice"
    response = client.get(url, params={"state": "submitted,APPROVED", "sortBy": "asc"},
                          headers=headers)
    assert codes(response) == ["INV-F-2", "INV-F-3"]
    assert codes(client.get(url, params={"transporterId": "TRN-9"}, headers=headers)) == \
        ["INV-F-3"]


def test_pending_approval_lists_submitted_invoices_only(client: TestClient) -> None:
    headers = login(client)
    for code, state in (("INV-PA-1", "SUBMITTED"), ("INV-PA-2", "DRAFT"),
                        ("INV-PA-3", "SUBMITTED"), ("INV-PA-4", "APPROVED"),
                        ("INV-PA-5", "REJECTED")):
        make_invoice(client, code, state=state)
    for path in ("/invoice/pending-approval", "/invoice/pending-approval/"):
        response = client.get(f"{BILLING}{path}", params={"page": 1, "size": 100},
                              headers=headers)
        assert sorted(codes(response)) == ["INV-PA-1", "INV-PA-3"]
        assert response.json()["data"]["total"] == 2
        assert {i["approvalState"] for i in response.json()["data"]["invoices"]} == {"LEVEL_1"}
    response = client.get(f"{BILLING}/invoice/pending-approval", params={"size": 1},
                          headers=headers)
    assert len(codes(response)) == 1 and response.json()["data"]["total"] == 2


def test_difference_amount_is_an_empty_string_without_a_difference(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-D-0", charges=[charge("CHG-D-0", 1200)])
    invoice = detail(client, headers, "INV-D-0")
    assert (invoice["totalAmount"], invoice["systemAmount"]) == (1200, 1200)
    assert invoice["differenceAmount"] == ""
    assert invoice["charges"][0]["amountUpdatedBy"] is None


def test_invoice_detail_derives_totals_from_billable_charges(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-D-1", state="SUBMITTED", invoiceDate=1733011200000, charges=[
        charge("CHG-D-1", 45000, indentId="IND-1"),
        charge("CHG-D-2", 2500.5, "Loading Charges", systemAmount=2400),
        charge("CHG-D-3", 999, "Detention Charges", status="NON_BILLABLE"),
    ])
    for suffix in ("", "/"):
        response = client.get(f"{BILLING}/transporter/invoice/INV-D-1{suffix}", headers=headers)
        assert response.status_code == 200
    invoice = detail(client, headers, "INV-D-1")
    assert invoice["uniqueCode"] == "INV-D-1" and invoice["invoiceNumber"] == "NUM-INV-D-1"
    assert invoice["state"] == "SUBMITTED" and invoice["approvalState"] == "LEVEL_1"
    assert invoice["transporterId"] == "TRN-1"
    assert invoice["transporterName"] == "Road Runner Logistics"
    assert invoice["totalAmount"] == 47500.5
    assert invoice["systemAmount"] == 47400
    assert invoice["differenceAmount"] == "100.50"
    assert invoice["invoiceDate"] == 1733011200000
    assert invoice["dueDate"] == 1733011200000 + 30 * 86_400_000
    assert isinstance(invoice["submittedAt"], int) and invoice["approvedAt"] is None
    assert [c["uniqueCode"] for c in invoice["charges"]] == ["CHG-D-1", "CHG-D-2", "CHG-D-3"]
    assert invoice["charges"][2]["status"] == "NON_BILLABLE"
    assert invoice["charges"][0]["invoiceStatus"] == "SUBMITTED"


def test_invoice_detail_errors(client: TestClient) -> None:
    headers = login(client)
    envelope_error(client.get(f"{BILLING}/transporter/invoice/INV-NONE/", headers=headers),
                   404, "INVOICE_NOT_FOUND")
    envelope_error(client.get(f"{BILLING}/transporter/invoice/%3Cx%3E/", headers=headers),
                   400, "INVALID_INVOICE_ID")
    envelope_error(client.get(f"{BILLING}/invoice/payments/INV-NONE", headers=headers),
                   404, "INVOICE_NOT_FOUND")


def test_charge_detail(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-CD-1", charges=[
        charge("CHG-CD-1", 1200, indentId="IND-42", transporterRemarks="Night delivery",
               supportingDocs=["https://docs.example/pod.pdf"]),
    ])
    for suffix in ("", "/"):
        response = client.get(f"{BILLING}/charge/CHG-CD-1{suffix}", headers=headers)
        assert response.status_code == 200
        data = response.json()["data"]
        assert data == {**data, "uniqueCode": "CHG-CD-1", "chargeHead": "Freight Charges",
                        "chargeType": "EXPENSE", "status": "BILLABLE", "amount": 1200,
                        "systemAmount": 1200, "indentId": "IND-42", "transporterId": "TRN-1",
                        "invoiceId": "INV-CD-1", "invoiceNumber": "NUM-INV-CD-1",
                        "invoiceStatus": "DRAFT",
                        "supportingDocs": ["https://docs.example/pod.pdf"],
                        "transporterRemarks": "Night delivery", "shipperRejectionReason": None}
    envelope_error(client.get(f"{BILLING}/charge/CHG-NONE", headers=headers), 404,
                   "CHARGE_NOT_FOUND")
    message = envelope_error(client.get(f"{BILLING}/charge/%20bad", headers=headers), 400,
                             "INVALID_CHARGE_ID")
    assert message.startswith("Invalid charge id")


def test_shipper_charge_list(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-SC-1", charges=[charge("CHG-SC-1", 10), charge("CHG-SC-2", 20)])
    client.post("/_sandbox/clock", json={"advance": 5})
    make_invoice(client, "INV-SC-2", charges=[
        charge("CHG-SC-3", 30, status="NON_BILLABLE")])
    url = f"{BILLING}/shipper/charge"
    response = client.get(url, params={"page": 1, "size": 100, "sortBy": "desc"},
                          headers=headers)
    assert codes(response) == ["CHG-SC-3", "CHG-SC-2", "CHG-SC-1"]
    assert response.json()["data"]["total"] == 3
    assert codes(client.get(f"{url}/", params={"sortBy": "asc", "size": 2}, headers=headers)) \
        == ["CHG-SC-1", "CHG-SC-2"]
    assert codes(client.get(url, params={"invoiceId": "INV-SC-1", "sortBy": "asc"},
                            headers=headers)) == ["CHG-SC-1", "CHG-SC-2"]
    assert codes(client.get(url, params={"status": "NON_BILLABLE"}, headers=headers)) == \
        ["CHG-SC-3"]
    envelope_error(client.get(url, params={"invoiceId": "INV-NONE"}, headers=headers), 404,
                   "INVOICE_NOT_FOUND")
    envelope_error(client.get(url, params={"status": "PENDING"}, headers=headers), 400,
                   "VALIDATION_ERROR")
