"""The two requests Maast publishes in its guides, sent exactly as written (only the host differs).

The guides' bodies are kept byte for byte as they were captured, including the email addresses
that the capture replaced with "[email protected]".
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from maast_support import DB_TIMESTAMP, GUIDE_AUTH, Maast, check_against_spec, freeze

GUIDE_CREATE_BODY = b"""
{
"customer_id": "JOHNDOE",
"from_contact": {
"first_name": "John",
"last_name": "Doe",
"firm_name": "CompanyXYZ",
"address1": "4W 4th Avenue",
"address2": "#401",
"city": "San Mateo",
"state": "CA",
"zip": "94404",
"zip4": "1234",
"phone": "9999999999",
"email_address": "[email protected]",
"country_code": "840",
"country": "United States"
},
"billing_contact": {
"first_name": "John",
"last_name": "Doe",
"firm_name": "CompanyXYZ",
"address1": "4W 4th Avenue",
"address2": "#401",
"city": "San Mateo",
"state": "CA",
"zip": "94404",
"zip4": "1234",
"phone": "9999999999",
"email_address": "[email protected]",
"country_code": "840",
"country": "United States"
},
"invoice_number": "XYZ1234",
"profile_id": "21200000000100000840",
"tran_currency": "840",
"footer_note": "Thanks for your business!",
"payment_terms_note": "Late fees calculated.",
"checkout_settings": {
"allow_partial_payments": false,
"email_receipt": false,
"allow_ach_payment": true
},
"sales_tax": {
"type": "RATE",
"value": 2.345
},
"payment_terms": {
"type": "DAYS",
"value": "10"
},
"date_invoice": "2025-01-01T00:00:00.000Z",
"line_items": [
{
"quantity": 10,
"description": "Pencils",
"unit_cost": 1.49
}
],
"save_customer": true
}
"""

GUIDE_HEADERS = {"accept": "application/json", "authorization": GUIDE_AUTH,
                 "content-type": "application/json"}

CONTACT = {
    "first_name": "John", "last_name": "Doe", "firm_name": "CompanyXYZ",
    "address1": "4W 4th Avenue", "address2": "#401", "city": "San Mateo", "state": "CA",
    "zip": "94404", "zip4": "1234", "phone": "9999999999", "email_address": "[email protected]",
    "country_code": "840", "country": "United States",
}

# Field order of the guide's sample answer (fields the sandbox has no value for are left out).
GUIDE_ORDER = [
    "invoice_id", "merchant_id", "customer_id", "from_contact", "billing_contact",
    "invoice_number", "status", "amt_tran", "amt_tax", "amt_sub_total", "amt_paid",
    "amt_balance", "profile_id", "tran_currency", "footer_note", "payment_terms_note",
    "checkout_settings", "invoice_link", "sales_tax", "payment_terms", "date_invoice",
    "line_items", "date_due", "date_last_view", "date_notice", "db_timestamp",
]


def guide_create(client: TestClient) -> dict[str, Any]:
    response = client.post("/platform/invoice", content=GUIDE_CREATE_BODY, headers=GUIDE_HEADERS)
    check_against_spec("POST", "/platform/invoice", response)
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def test_guide_create_invoice_request_answers_as_documented(client: TestClient) -> None:
    freeze(client)
    payload = guide_create(client)
    assert payload["code"] == 0 and payload["message"] == "Success"
    data = payload["data"]
    assert data == {
        "invoice_id": 1,
        "merchant_id": 212000000001,
        "customer_id": "JOHNDOE",
        "from_contact": CONTACT,
        "billing_contact": CONTACT,
        "invoice_number": "XYZ1234",
        "status": "SAVED",
        "amt_tran": 15.25,
        "amt_tax": 0.35,  # 2.345 % of 14.90 = 0.349405, half-up to cents
        "amt_sub_total": 14.9,
        "amt_paid": 0,
        "amt_balance": 15.25,
        "profile_id": "21200000000100000840",
        "tran_currency": "840",
        "footer_note": "Thanks for your business!",
        "payment_terms_note": "Late fees calculated.",
        "checkout_settings": {"allow_partial_payments": False, "email_receipt": False,
                              "allow_ach_payment": True},
        "sales_tax": {"type": "RATE", "value": 2.345},
        "payment_terms": {"type": "DAYS", "value": "10"},
        "date_invoice": "2025-01-01T00:00:00.000Z",
        "line_items": [{"quantity": 10, "description": "Pencils", "unit_cost": 1.49}],
        "date_due": "2025-01-11T00:00:00.000Z",
        "db_timestamp": DB_TIMESTAMP,
    }
    assert list(data) == [k for k in GUIDE_ORDER if k in data]
    # The amounts are JSON numbers written without binary noise.
    raw = client.get("/platform/invoice/1/detail", headers=GUIDE_HEADERS).content
    assert b'"amt_tran":15.25,"amt_tax":0.35,"amt_sub_total":14.9,' in raw


def test_guide_create_saves_the_customer_in_the_vault(client: TestClient) -> None:
    guide_create(client)
    api = Maast(client, key="9edec21a31c0xyz789e30a3416abc123")  # the key inside the header
    again = api.ok("POST", "/invoice", {"customer_id": "JOHNDOE", "invoice_number": "XYZ1235"})
    assert again["customer_id"] == "JOHNDOE" and again["invoice_id"] == 2


def test_guide_remove_payment_request_answers_exactly(client: TestClient) -> None:
    invoice = guide_create(client)["data"]
    api = Maast(client, key="9edec21a31c0xyz789e30a3416abc123")
    payment = api.pay(invoice["invoice_id"], 5.25, kind="CHECK")
    assert api.detail(invoice["invoice_id"])["amt_paid"] == 5.25

    # The guide's curl: DELETE with `accept` and `authorization` only, no body.
    path = f"/platform/invoice/{invoice['invoice_id']}/payments/{payment['payment_id']}"
    response = client.delete(path, headers={"accept": "application/json",
                                            "authorization": GUIDE_AUTH})
    check_against_spec("DELETE", path, response)
    assert response.status_code == 200
    assert response.json() == {"code": 0, "message": "Success", "data": {}}
    assert response.content == b'{"code":0,"message":"Success","data":{}}'

    assert api.payments(invoice["invoice_id"]) == []
    after = api.detail(invoice["invoice_id"])
    assert (after["amt_paid"], after["amt_balance"], after["status"]) == (0, 15.25, "SAVED")


def test_guide_remove_payment_also_accepts_a_content_type_header(client: TestClient) -> None:
    invoice = guide_create(client)["data"]
    api = Maast(client, key="9edec21a31c0xyz789e30a3416abc123")
    payment = api.pay(invoice["invoice_id"], 1)
    response = client.delete(
        f"/platform/invoice/{invoice['invoice_id']}/payments/{payment['payment_id']}",
        headers=GUIDE_HEADERS)
    assert response.json() == {"code": 0, "message": "Success", "data": {}}
