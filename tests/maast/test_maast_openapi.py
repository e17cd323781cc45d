"""The project's OpenAPI description of the Maast API: served by the sandbox, well formed, and
every operation's answers conform to it (every other Maast test checks its answers too)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from maast_support import SPEC, SPEC_PATH, Maast, card_pay, check_against_spec, response_schema
from openapi_schema_validator import OAS30Validator


def test_the_sandbox_serves_the_document(client: TestClient) -> None:
    response = client.get("/_sandbox/openapi/maast.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    assert client.get("/_sandbox/openapi/nobody.json").status_code == 404


def test_the_document_describes_the_fifteen_operations() -> None:
    assert SPEC["openapi"].startswith("3.0")
    assert SPEC["servers"][0]["url"] == "/platform"
    operations = {(method.upper(), path) for path, ops in SPEC["paths"].items()
                  for method in ops if method != "parameters"}
    assert operations == {
        ("POST", "/invoice"), ("GET", "/invoice"), ("GET", "/invoice/{invoice_id}/detail"),
        ("PUT", "/invoice/{invoice_id}/draft"), ("PUT", "/invoice/{invoice_id}/outstanding"),
        ("POST", "/invoice/{invoice_id}/copy"), ("POST", "/invoice/{invoice_id}/send"),
        ("POST", "/invoice/{invoice_id}/resend"), ("DELETE", "/invoice/{invoice_id}/cancel"),
        ("POST", "/invoice/{invoice_id}/payments"), ("GET", "/invoice/{invoice_id}/payments"),
        ("GET", "/invoice/payments"), ("PUT", "/invoice/{invoice_id}/payments/{payment_id}"),
        ("DELETE", "/invoice/{invoice_id}/payments/{payment_id}"), ("GET", "/invoice/bounced"),
    }


def walk_refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        refs = [node["$ref"]] if "$ref" in node else []
        return refs + [r for value in node.values() for r in walk_refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in walk_refs(value)]
    return []


def test_every_schema_is_a_valid_openapi_schema_and_every_reference_resolves() -> None:
    for name, schema in SPEC["components"]["schemas"].items():
        OAS30Validator.check_schema(schema)
        assert name
    for ref in walk_refs(SPEC):
        target: Any = SPEC
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        assert isinstance(target, dict), ref


def test_the_check_rejects_answers_that_break_the_document() -> None:
    """The helper every test relies on is not vacuous."""
    def fake(status: int, body: Any) -> httpx.Response:
        return httpx.Response(status, json=body)

    good = {"code": 0, "message": "Success", "data": {}}
    check_against_spec("DELETE", "/platform/invoice/1/payments/2", fake(200, good))
    for status, body in [
        (200, {"code": 0, "message": "Success", "data": {"x": 1}}),
        (200, {"code": 0, "message": "Success"}),
        (400, {"detail": "Not Found"}),
        (400, {"code": "2", "message": "bad"}),
        (418, {"code": 2, "message": "teapot"}),
    ]:
        with pytest.raises(AssertionError):
            check_against_spec("DELETE", "/platform/invoice/1/payments/2", fake(status, body))
    invoice_schema = response_schema("GET", "/platform/invoice/1/detail", 200)
    assert invoice_schema == {"$ref": "#/components/schemas/InvoiceResponse"}
    with pytest.raises(AssertionError):
        check_against_spec("GET", "/platform/invoice/1/detail",
                           fake(200, {"code": 0, "message": "Success",
                                      "data": {"invoice_id": 1, "amt_tran": "15.25"}}))


def test_every_operation_answers_as_documented_in_every_state(api: Maast) -> None:
    """Walk each operation over invoices in all four states (the client checks each answer)."""
    i = api.create(from_contact={"firm_name": "F", "phone": "1", "email_address": "f@x"},
                   checkout_settings={"allow_partial_payments": True},
                   sales_tax={"type": "AMOUNT", "value": 1}, profile_id="P",
                   footer_note="n", payment_terms_note="t")["invoice_id"]
    api.ok("GET", "/invoice")
    api.ok("PUT", f"/invoice/{i}/draft", {"footer_note": "m"})
    cash = api.pay(i, 1, description="d")["payment_id"]
    api.ok("PUT", f"/invoice/{i}/payments/{cash}",
           {"type": "CHECK", "amt_paid": 2, "date_payment": "2026-03-01"})
    api.send(i, {"email_address": ["bounce@example.com"]})
    api.ok("PUT", f"/invoice/{i}/outstanding", {"from_contact": {
        "firm_name": "G", "phone": "2", "email_address": "g@x"}})
    api.call("POST", f"/invoice/{i}/resend")
    assert card_pay(api.http, api.token(i), amount="3.00").status_code == 200
    api.ok("GET", f"/invoice/{i}/payments")
    api.ok("DELETE", f"/invoice/{i}/payments/{cash}")
    api.ok("GET", "/invoice/payments")
    api.ok("GET", "/invoice/bounced")
    api.ok("POST", f"/invoice/{i}/copy", {"invoice_number": "COPY"})
    assert card_pay(api.http, api.token(i)).status_code == 200
    assert api.detail(i)["status"] == "PAID"
    j = api.create(invoice_number="TO-CANCEL")["invoice_id"]
    api.ok("DELETE", f"/invoice/{j}/cancel")
    for row in api.ok("GET", "/invoice"):
        assert row["status"] in ("SAVED", "PAID", "CANCELED")
    api.detail(j)
