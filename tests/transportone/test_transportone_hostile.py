"""Hostile input to TransportOne: numbers out of range, Unicode digits in page/size, a deeply
nested x-coreos-userinfo. Each is a 400 VALIDATION_ERROR, never a 500 or a wrong page, and
nothing is written."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from state_support import everything
from transportone_kit import BILLING, charge, detail, envelope_error, login, make_invoice

HUGE = "1e99999999999999999999"  # Decimal() raises InvalidOperation on this


def _with_number(document: object, literal: str) -> bytes:
    return json.dumps(document).replace('"__NUMBER__"', literal).encode()


@pytest.mark.parametrize("literal", [HUGE, f"-{HUGE}", "1e-99999999999999999999", "1e400",
                                     "1.00000000000000000000000000001", "9" * 101])
@pytest.mark.parametrize(("path", "document"), [
    ("/payments", {"invoiceId": "INV-H", "appliedAmount": "__NUMBER__"}),
    ("/payments", {"invoiceId": "INV-H", "appliedAmount": 1, "paymentDate": "__NUMBER__"}),
    ("/bulk-process-charge", {"create": [charge("CHG-H", "__NUMBER__")]}),
    ("/bulk-process-charge", {"create": [charge("CHG-H", 1, supportingDocs=["__NUMBER__"])]}),
    ("/shipper/bulk/upload/payment",
     {"data": {"payments": [{"invoiceId": "INV-H", "totalAmount": "__NUMBER__"}]}}),
])
def test_numbers_out_of_range_are_a_400(client: TestClient, path: str, document: object,
                                        literal: str) -> None:
    headers = login(client)
    make_invoice(client, "INV-H", state="APPROVED")
    before = everything(client)
    response = client.post(BILLING + path, content=_with_number(document, literal),
                           headers={**headers, "content-type": "application/json"})
    message = envelope_error(response, 400, "VALIDATION_ERROR")
    assert message.startswith("Validation failed: body has a number that "), message
    assert everything(client) == before


@pytest.mark.parametrize("value", ["1" + "0" * 30, "1e300", "-9223372036854775809"])
def test_free_form_numbers_beyond_64_bits_are_a_400(client: TestClient, value: str) -> None:
    headers = login(client)
    before = everything(client)
    document = {"create": [charge("CHG-D", 1, supportingDocs=[{"pages": "__NUMBER__"}])]}
    response = client.post(f"{BILLING}/bulk-process-charge",
                           content=_with_number(document, value),
                           headers={**headers, "content-type": "application/json"})
    message = envelope_error(response, 400, "VALIDATION_ERROR")
    assert message == ("Validation failed: create[0].supportingDocs holds a whole number "
                       "beyond 64 bits")
    assert everything(client) == before


def test_unicode_digits_in_page_and_size_are_a_400(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-P", state="SUBMITTED")
    for path in ("/shipper/invoice", "/invoice/pending-approval", "/shipper/charge"):
        for name, value in (("page", "²"), ("size", "¹"), ("page", "١"), ("size", "１０"),
                            ("page", "1²")):
            response = client.get(BILLING + path, params={name: value}, headers=headers)
            message = envelope_error(response, 400, "VALIDATION_ERROR")
            high = 1_000_000 if name == "page" else 1000
            assert message == f"Validation failed: {name} must be a whole number from 1 to {high}"


@pytest.mark.parametrize("nested", ["[" * 100_000 + "]" * 100_000,
                                    '{"a":' * 50_000 + "1" + "}" * 50_000])
def test_a_deeply_nested_userinfo_header_is_a_400(client: TestClient, nested: str) -> None:
    headers = login(client)
    make_invoice(client, "INV-N", state="SUBMITTED")
    before = everything(client)
    response = client.post(f"{BILLING}/transporter/cancel-invoice/INV-N",
                           json={"cancellationReason": "duplicate"},
                           headers={**headers, "x-coreos-userinfo": nested})
    message = envelope_error(response, 400, "VALIDATION_ERROR")
    assert message == "Validation failed: x-coreos-userinfo is nested too deeply"
    assert everything(client) == before
    assert detail(client, headers, "INV-N")["state"] == "SUBMITTED"
    # A readable header still names who acted.
    response = client.post(f"{BILLING}/transporter/cancel-invoice/INV-N",
                           json={"cancellationReason": "duplicate"},
                           headers={**headers, "x-coreos-userinfo": '{"name": "ERP Bot"}'})
    assert response.status_code == 200, response.text
