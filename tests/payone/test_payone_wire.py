"""The SmartLink wire: one form field holding JSON, raw or URL-encoded; transport errors."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from payone_support import (
    FORM,
    MERCHANT,
    SERVICE,
    TOKEN,
    PayOne,
    freeze,
    item,
    quoted,
    snapshot,
    stored_invoice,
)

PUBLISHED_DEACTIVATE = ('invoice={ "merchantID":"abcMerchant", "invoiceID":"50142985", '
                        '"authenticationToken":"ODYxNTY2ZTI4MmJmMzUyM2VhYmUyMGYx" }')


def test_published_deactivate_sample_exactly_as_written(api: PayOne) -> None:
    api.create_one("50142985")
    r = api.post("deactivateInvoice", PUBLISHED_DEACTIVATE)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == {"invoiceID": "50142985", "status": "Invoice is deactivated successfully",
                        "authenticationToken": "ODYxNTY2ZTI4MmJmMzUyM2VhYmUyMGYx"}
    assert api.status("50142985") == "INACTIVE"


def test_raw_and_url_encoded_json_are_the_same_request(shop: PayOne) -> None:
    raw = shop.call("createInvoice", shop.document(invoicesDetails=[item("RAW-1")]), raw=True)
    encoded = shop.post("createInvoice",
                       "invoices=" + quoted(shop.document(invoicesDetails=[item("ENC-1")])))
    assert raw.status_code == encoded.status_code == 200
    assert raw.json()["invoicesDetails"][0]["invoiceID"] == "RAW-1"
    assert encoded.json()["invoicesDetails"][0]["invoiceID"] == "ENC-1"
    assert shop.inquire("RAW-1")["amount"] == shop.inquire("ENC-1")["amount"] == "100"


def test_url_encoded_json_keeps_characters_a_raw_form_would_break(shop: PayOne) -> None:
    description = "Tea & coffee + 50% off = جديد"
    shop.create_one(paymentDescription=description)
    assert stored_invoice(shop, "INV-1")["attrs"]["paymentDescription"] == description


def test_raw_ampersand_inside_json_breaks_the_form_like_the_real_server(shop: PayOne) -> None:
    before = snapshot(shop.http)
    document = shop.document(invoicesDetails=[item(paymentDescription="Tea & coffee")])
    shop.error("createInvoice", document, "00017", raw=True)
    assert snapshot(shop.http) == before


def test_raw_plus_in_a_mobile_number_reads_as_a_space(shop: PayOne) -> None:
    document = shop.document(invoicesDetails=[item(customerMobileNumber="+966500000000")])
    shop.error("createInvoice", document, "00013", raw=True)


@pytest.mark.parametrize("body", [
    b"",
    b"   ",
    b"invoices=",
    b"other=value",
    b"invoice=" + json.dumps({"merchantID": MERCHANT}).encode(),  # the wrong field name
    json.dumps({"merchantID": MERCHANT, "authenticationToken": TOKEN}).encode(),  # bare JSON
])
def test_missing_form_field_is_00023(shop: PayOne, body: bytes) -> None:
    before = snapshot(shop.http)
    r = shop.post("createInvoice", body)
    assert r.status_code == 200
    assert r.json() == {"Error": "00023", "ErrorMessage": "Missing Invoices Parameter"}
    assert snapshot(shop.http) == before


def test_json_content_type_is_not_a_form(shop: PayOne) -> None:
    r = shop.http.post(SERVICE + "inquireInvoice", json=shop.document(invoiceID="X"))
    assert r.json()["Error"] == "00023"


@pytest.mark.parametrize("text", [
    "not json",
    "{",
    '{"merchantID": "abcMerchant",}',
    "[]",
    '[{"merchantID": "abcMerchant"}]',
    '"a string"',
    "42",
    "null",
    "true",
    '{"merchantID": NaN}',
    "[" * 100_000 + "]" * 100_000,
])
def test_anything_but_a_json_object_is_00017(shop: PayOne, text: str) -> None:
    shop.create_one()
    before = snapshot(shop.http)
    for operation in ("createInvoice", "inquireInvoice", "deactivateInvoice", "refundInvoice"):
        body = shop.error(operation, text, "00017")
        assert body["ErrorMessage"] == "Invalid JSON Format"
    assert snapshot(shop.http) == before


def test_bytes_that_are_not_utf8_are_00017(shop: PayOne) -> None:
    before = snapshot(shop.http)
    for body in (b"invoices=%FF%FE", b"invoices=\xff\xfe{}"):
        assert shop.post("createInvoice", body).json()["Error"] == "00017"
    assert snapshot(shop.http) == before


def test_the_first_of_repeated_form_fields_wins(shop: PayOne) -> None:
    first = json.dumps(shop.document(invoicesDetails=[item("FIRST")]))
    second = json.dumps(shop.document(invoicesDetails=[item("SECOND")]))
    r = shop.post("createInvoice", f"invoices={quoted(json.loads(first))}&invoices="
                 f"{quoted(json.loads(second))}")
    assert [i["invoiceID"] for i in r.json()["invoicesDetails"]] == ["FIRST"]


def test_other_form_fields_are_ignored(shop: PayOne) -> None:
    r = shop.post("createInvoice", "lang=en&invoices=" + quoted(shop.document(
        invoicesDetails=[item()])) + "&extra=1")
    assert r.json()["invoicesDetails"][0]["invoiceID"] == "INV-1"


@pytest.mark.parametrize(("operation", "field"), [
    ("completeInvoice", "invoice"),
    ("completeInvoice", "invoices"),
    ("refundInvoice", "invoice"),
    ("refundInvoice", "invoices"),
])
def test_complete_and_refund_accept_either_field_name(shop: PayOne, operation: str,
                                                      field: str) -> None:
    # The request reaches the operation's own checks (unknown invoice), not 00023.
    document = (shop.document(invoicesDetails=[{"invoiceID": "NOPE", "amount": "1",
                                               "currency": "682"}])
                if operation == "completeInvoice" else shop.document(invoiceID="NOPE"))
    shop.create_one()  # registers the merchant
    code = "00042" if operation == "completeInvoice" else "00028"
    shop.error(operation, document, code, field=field)


@pytest.mark.parametrize("operation", ["inquireInvoice", "deactivateInvoice",
                                       "activateInvoice"])
def test_invoice_operations_read_only_the_invoice_field(shop: PayOne, operation: str) -> None:
    shop.error(operation, shop.document(invoiceID="X"), "00023", field="invoices")


def test_oversized_body_is_refused_precisely_and_writes_nothing(
        make_client: Callable[..., TestClient]) -> None:
    http = make_client(max_body_bytes=4096)
    freeze(http)
    api = PayOne(http)
    before = snapshot(http)
    big = api.document(invoicesDetails=[item(paymentDescription="x" * 5000)])
    r = api.call("createInvoice", big)
    assert r.status_code == 413
    assert r.json() == {"Error": "00008", "ErrorMessage": "Invalid Parameters Values"}
    assert snapshot(http) == before
    assert api.call("createInvoice", api.document(invoicesDetails=[item()])).status_code == 200


def test_too_many_form_fields_is_00008(shop: PayOne) -> None:
    body = "&".join(f"f{i}=1" for i in range(200)) + "&invoices=" + quoted(
        shop.document(invoicesDetails=[item()]))
    before = snapshot(shop.http)
    assert shop.post("createInvoice", body).json()["Error"] == "00008"
    assert snapshot(shop.http) == before


@pytest.mark.parametrize("path", [
    SERVICE + "createInvoices",
    SERVICE + "CreateInvoice",
    SERVICE + "deleteInvoice",
    SERVICE + "createInvoice/extra",
    "/URL2PayAdminWeb/rest/OtherService/createInvoice",
    "/URL2PayAdminWeb",
])
def test_unknown_operations_are_404_in_smartlink_shape(shop: PayOne, path: str) -> None:
    before = snapshot(shop.http)
    r = shop.http.post(path, content="invoices=" + quoted(shop.document(
        invoicesDetails=[item()])), headers=FORM)
    assert r.status_code == 404
    assert r.json() == {"Error": "00019", "ErrorMessage": "Abnormal Error"}
    assert snapshot(shop.http) == before


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_on_an_operation_are_405_in_smartlink_shape(shop: PayOne,
                                                                  method: str) -> None:
    r = shop.http.request(method, SERVICE + "inquireInvoice")
    assert r.status_code == 405
    assert r.json() == {"Error": "00019", "ErrorMessage": "Abnormal Error"}


def test_business_errors_can_answer_400(make_client: Callable[..., TestClient]) -> None:
    http = make_client(payone_error_status=400)
    api = PayOne(http)
    assert api.error("inquireInvoice", api.document(), "00009", status=400)
    # Success is still 200.
    api.create(item())
