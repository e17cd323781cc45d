"""Validation: every SmartLink error code that input can cause, in order, first failure wins,
and no failed request writes anything."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from payone_support import MERCHANT, TOKEN, PayOne, freeze, item, snapshot

# (field, value, expected code) for one createInvoice item; None removes the field.
ITEM_CASES = [
    ("invoiceID", None, "00009"),
    ("invoiceID", "", "00009"),
    ("invoiceID", "has space", "00011"),
    ("invoiceID", "x" * 61, "00011"),
    ("invoiceID", {"id": 1}, "00011"),
    ("invoiceID", True, "00011"),
    ("amount", None, "00002"),
    ("amount", "1.00", "00004"),
    ("amount", "-100", "00004"),
    ("amount", "0", "00004"),
    ("amount", "0100", "00004"),
    ("amount", "abc", "00004"),
    ("amount", "1" * 13, "00004"),
    ("amount", 1.5, "00004"),
    ("amount", False, "00004"),
    ("amount", ["100"], "00004"),
    ("currency", None, "00003"),
    ("currency", "SAR", "00005"),
    ("currency", "999", "00005"),
    ("currency", "68", "00005"),
    ("currency", [682], "00005"),
    ("paymentDescription", None, "00034"),
    ("paymentDescription", "x" * 256, "00016"),
    ("paymentDescription", {"text": "x"}, "00016"),
    ("customerID", "has space", "00033"),
    ("customerID", "x" * 51, "00033"),
    ("customerEmailAddress", "not-an-email", "00012"),
    ("customerEmailAddress", "a@b", "00012"),
    ("customerEmailAddress", "a" * 95 + "@example.com", "00012"),
    ("customerMobileNumber", "966500000000", "00013"),
    ("customerMobileNumber", "+966500000000", "00013"),
    ("customerMobileNumber", "00966", "00013"),
    ("language", "fr", "00006"),
    ("language", 1, "00006"),
    ("expiryperiod", None, "00027"),
    ("expiryperiod", "3", "00015"),
    ("expiryperiod", 3, "00015"),
    ("expiryperiod", "0D", "00015"),
    ("expiryperiod", "3H", "00015"),
    ("expiryperiod", "366D", "00015"),
    ("expiryperiod", "-1D", "00015"),
    ("notificationEmail", "nobody", "00008"),
    ("dynamicFields", "ItemID=1", "00014"),
    ("dynamicFields", [1, 2], "00014"),
    ("dynamicFields", [{"ItemID": {"nested": 1}}], "00014"),
    ("dynamicFields", {"ItemID": "1"}, "00014"),
    ("notifyMe", "maybe", "00008"),
    ("generateQRCode", "true", "00008"),
]


@pytest.mark.parametrize(("field", "value", "code"), ITEM_CASES)
@pytest.mark.parametrize("operation", ["createInvoice", "createPreAuthInvoice"])
def test_each_invalid_item_field_has_its_code(shop: PayOne, operation: str, field: str,
                                              value: Any, code: str) -> None:
    shop.create_one("EXISTING")
    before = snapshot(shop.http)
    document = shop.document(invoicesDetails=[item("NEW-1", **{field: value})])
    if value is None:
        document["invoicesDetails"][0].pop(field, None)
    shop.error(operation, document, code)
    assert snapshot(shop.http) == before


def test_email_or_mobile_is_required(shop: PayOne) -> None:
    before = snapshot(shop.http)
    body = shop.error("createInvoice", shop.document(invoicesDetails=[item(
        customerEmailAddress=None, customerMobileNumber="")]), "00037")
    assert body["ErrorMessage"] == "Missing Customer Email Address OR Customer Mobile Number"
    assert snapshot(shop.http) == before
    # Either one alone is enough.
    shop.create(item("E", customerMobileNumber=None), item("M", customerEmailAddress=None))


def test_integers_are_read_as_their_digits(shop: PayOne) -> None:
    created = shop.create(item(50142985, amount=100, currency=682))[0]  # type: ignore[arg-type]
    assert created["invoiceID"] == "50142985"
    assert created["amount"] == "100"
    assert shop.inquire("50142985")["currency"] == 682


def test_optional_fields_can_be_left_out(shop: PayOne) -> None:
    minimal = {"invoiceID": "MIN-1", "amount": "1", "currency": "840",
               "paymentDescription": "d", "customerEmailAddress": "a@example.com",
               "expiryperiod": "1D"}
    created = shop.create(minimal)[0]
    assert created["qrCode"] == ""
    assert shop.status("MIN-1") == "NEW"


@pytest.mark.parametrize(("first", "second", "code"), [
    (("amount", None), ("currency", "SAR"), "00002"),
    (("invoiceID", "bad id"), ("amount", None), "00011"),
    (("currency", "1"), ("paymentDescription", None), "00005"),
    (("customerEmailAddress", "x"), ("customerMobileNumber", "1"), "00012"),
    (("language", "fr"), ("expiryperiod", None), "00006"),
    (("expiryperiod", "9X"), ("dynamicFields", "x"), "00015"),
    (("dynamicFields", 7), ("generateQRCode", "maybe"), "00014"),
])
def test_the_first_failing_field_wins(shop: PayOne, first: tuple[str, Any],
                                      second: tuple[str, Any], code: str) -> None:
    bad = item("ORDER-1", **{first[0]: first[1], second[0]: second[1]})
    shop.error("createInvoice", shop.document(invoicesDetails=[bad]), code)


def test_items_are_checked_in_order(shop: PayOne) -> None:
    items = [item("A"), item("B", amount="x"), item("C", currency="x")]
    shop.error("createInvoice", shop.document(invoicesDetails=items), "00004")


def test_merchant_checks_come_before_the_invoice_fields(shop: PayOne) -> None:
    shop.create_one()
    bad_item = item("X", amount=None)
    m, t = shop.merchant, shop.token
    shop.error("createInvoice", {"authenticationToken": t, "invoicesDetails": [bad_item]},
               "00001")
    shop.error("createInvoice", {"merchantID": m, "invoicesDetails": [bad_item]}, "00021")
    shop.error("createInvoice", {"merchantID": m, "authenticationToken": "other-token",
                                 "invoicesDetails": [bad_item]}, "00022")
    shop.error("createInvoice", {"merchantID": m, "authenticationToken": t}, "00024")


@pytest.mark.parametrize(("fields", "code"), [
    ({"merchantID": None}, "00001"),
    ({"merchantID": ""}, "00001"),
    ({"merchantID": "bad merchant"}, "00018"),
    ({"merchantID": "m" * 31}, "00018"),
    ({"merchantID": {"id": "x"}}, "00018"),
    ({"authenticationToken": None}, "00021"),
    ({"authenticationToken": ""}, "00021"),
    ({"authenticationToken": "has space"}, "00022"),
    ({"authenticationToken": "t" * 256}, "00022"),
    ({"authenticationToken": ["x"]}, "00022"),
    ({"merchantID": None, "authenticationToken": None}, "00001"),
])
@pytest.mark.parametrize("operation", ["createInvoice", "inquireInvoice", "deactivateInvoice",
                                       "activateInvoice", "completeInvoice", "refundInvoice"])
def test_credentials(shop: PayOne, operation: str, fields: dict[str, Any], code: str) -> None:
    before = snapshot(shop.http)
    document = {**shop.document(invoiceID="X", invoicesDetails=[item()]), **fields}
    shop.error(operation, {k: v for k, v in document.items() if v is not None}, code)
    assert snapshot(shop.http) == before


def test_open_mode_registers_the_first_token_and_refuses_others(shop: PayOne) -> None:
    shop.create_one("A")
    intruder = PayOne(shop.http, shop.merchant, "another-token")
    before = snapshot(shop.http)
    for operation in ("createInvoice", "inquireInvoice", "deactivateInvoice", "refundInvoice"):
        body = intruder.error(operation, intruder.document(invoiceID="A",
                                                           invoicesDetails=[item("B")]), "00022")
        assert body["ErrorMessage"] == "Invalid Authentication Token"
    assert snapshot(shop.http) == before
    assert shop.status("A") == "NEW"


def test_a_failed_first_request_registers_nothing(shop: PayOne) -> None:
    before = snapshot(shop.http)
    shop.error("createInvoice", shop.document(invoicesDetails=[item(amount="x")]), "00004")
    shop.error("inquireInvoice", shop.document(invoiceID="NOPE"), "00028")
    assert snapshot(shop.http) == before
    # Nothing was registered, so another token is still a first use.
    PayOne(shop.http, shop.merchant, "second-token").create_one()
    shop.error("inquireInvoice", shop.document(invoiceID="INV-1"), "00022")


def test_merchants_are_isolated(shop: PayOne) -> None:
    shop.create_one("SHARED-ID")
    other = PayOne(shop.http, "otherMerchant", "other-token")
    other.error("inquireInvoice", other.document(invoiceID="SHARED-ID"), "00028")
    other.error("deactivateInvoice", other.document(invoiceID="SHARED-ID"), "00028")
    # Invoice ids are unique per merchant only.
    other.create_one("SHARED-ID", amount="999")
    assert shop.inquire("SHARED-ID")["amount"] == "100"
    assert other.inquire("SHARED-ID")["amount"] == "999"


def test_strict_mode_knows_only_fixture_merchants(make_client: Callable[..., TestClient],
                                                  tmp_path: Path) -> None:
    (tmp_path / "payone.toml").write_text(
        '[[merchants]]\nmerchantID = "fixtureMerchant"\nauthenticationToken = "fixture-token"\n'
        '[[merchants]]\nmerchantID = "noTokenMerchant"\n', encoding="utf-8")
    http = make_client(fixtures=tmp_path, auth="strict")
    freeze(http)
    before = snapshot(http)
    stranger = PayOne(http, MERCHANT, TOKEN)
    body = stranger.error("createInvoice", stranger.document(invoicesDetails=[item()]), "00007")
    assert body["ErrorMessage"] == "Merchant Not Available"
    no_token = PayOne(http, "noTokenMerchant", "any-token")
    body = no_token.error("createInvoice", no_token.document(invoicesDetails=[item()]), "00029")
    assert body["ErrorMessage"] == "Authentication Token Is Not Configured"
    wrong = PayOne(http, "fixtureMerchant", "wrong-token")
    wrong.error("inquireInvoice", wrong.document(invoiceID="X"), "00022")
    assert snapshot(http) == before
    PayOne(http, "fixtureMerchant", "fixture-token").create_one()


def test_a_fixture_merchant_without_token_is_00029_in_open_mode_too(
        make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    (tmp_path / "payone.toml").write_text('[[merchants]]\nmerchantID = "noTokenMerchant"\n',
                                          encoding="utf-8")
    http = make_client(fixtures=tmp_path)
    api = PayOne(http, "noTokenMerchant", "any-token")
    api.error("createInvoice", api.document(invoicesDetails=[item()]), "00029")


@pytest.mark.parametrize(("details", "code"), [
    (None, "00024"),
    ([], "00024"),
    ("", "00024"),
    ({"invoiceID": "A"}, "00017"),
    ("[{}]", "00017"),
    (["A"], "00017"),
    ([item("A"), [item("B")]], "00017"),
    ([item(f"N-{i}") for i in range(101)], "00008"),
])
def test_invoices_details_shape(shop: PayOne, details: Any, code: str) -> None:
    before = snapshot(shop.http)
    document = shop.document() if details is None else shop.document(invoicesDetails=details)
    shop.error("createInvoice", document, code)
    assert snapshot(shop.http) == before


def test_a_hundred_invoices_in_one_request(shop: PayOne) -> None:
    created = shop.create(*[item(f"N-{i}") for i in range(100)])
    assert [c["invoiceID"] for c in created] == [f"N-{i}" for i in range(100)]
    assert len({c["paymentLink"] for c in created}) == 100


def test_duplicate_ids_within_one_request_are_00020(shop: PayOne) -> None:
    before = snapshot(shop.http)
    body = shop.error("createInvoice", shop.document(
        invoicesDetails=[item("A"), item("B"), item("A")]), "00020")
    assert body["ErrorMessage"] == "The Request Has Duplicate Invoice Ids"
    assert snapshot(shop.http) == before


@pytest.mark.parametrize("pre_auth", [False, True])
def test_duplicate_ids_against_existing_invoices_are_00010(shop: PayOne, pre_auth: bool) -> None:
    shop.create_one("A")
    before = snapshot(shop.http)
    operation = "createPreAuthInvoice" if pre_auth else "createInvoice"
    body = shop.error(operation, shop.document(invoicesDetails=[item("NEW"), item("A")]), "00010")
    assert body["ErrorMessage"] == "Duplicate Invoice ID"
    # All or nothing: the valid first item was not created either.
    assert snapshot(shop.http) == before
    shop.error("inquireInvoice", shop.document(invoiceID="NEW"), "00028")


def test_repeats_within_the_request_are_reported_before_existing_ones(shop: PayOne) -> None:
    shop.create_one("A")
    shop.error("createInvoice", shop.document(invoicesDetails=[item("A"), item("A")]), "00020")


def test_a_merchant_can_require_dynamic_fields(shop: PayOne) -> None:
    shop.create_one("FIRST")
    r = shop.http.post(f"/_sandbox/payone/merchants/{shop.merchant}",
                      json={"required_dynamic_fields": ["ItemID"]})
    assert r.status_code == 200
    before = snapshot(shop.http)
    for fields in (None, [], [{"Other": "1"}], [{"ItemID": ""}]):
        document = shop.document(invoicesDetails=[item("X", dynamicFields=fields)])
        shop.error("createInvoice", document, "00031")
    assert snapshot(shop.http) == before
    shop.create_one("X", dynamicFields=[{"Other": "1"}, {"ItemID": "7"}])


@pytest.mark.parametrize("operation", ["inquireInvoice", "deactivateInvoice", "activateInvoice",
                                       "refundInvoice"])
def test_invoice_id_checks(shop: PayOne, operation: str) -> None:
    shop.create_one()
    before = snapshot(shop.http)
    shop.error(operation, shop.document(), "00009")
    body = shop.error(operation, shop.document(invoiceID=""), "00009")
    assert body["ErrorMessage"] == "Messing Invoice ID"
    shop.error(operation, shop.document(invoiceID="bad id"), "00011")
    shop.error(operation, shop.document(invoiceID=["INV-1"]), "00011")
    body = shop.error(operation, shop.document(invoiceID="UNKNOWN"), "00028")
    assert body["ErrorMessage"] == "Invoice is not found"
    assert snapshot(shop.http) == before


def test_extra_unknown_keys_are_ignored(shop: PayOne) -> None:
    shop.create(item("A", somethingElse={"x": 1}))
    assert shop.ok("inquireInvoice", shop.document(invoiceID="A", extra=[1]))["invoiceID"] == "A"
