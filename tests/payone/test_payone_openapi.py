"""The PayOne OpenAPI description: served by the control plane, and true to the real answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from payone_support import PayOne, item

SPEC_PATH = Path(__file__).resolve().parents[2] / "app" / "providers" / "payone" / "openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def schema(name: str) -> Draft7Validator:
    return Draft7Validator({"$ref": f"#/components/schemas/{name}",
                            "components": SPEC["components"]})


def answer_schema(operation: str) -> Draft7Validator:
    content = SPEC["paths"][f"/{operation}"]["post"]["responses"]["200"]["content"]
    return Draft7Validator({**content["application/json"]["schema"],
                            "components": SPEC["components"]})


def check(operation: str, body: Any) -> None:
    errors = list(answer_schema(operation).iter_errors(body))
    assert not errors, [e.message for e in errors]


def test_the_description_is_served(shop: PayOne) -> None:
    r = shop.http.get("/_sandbox/openapi/payone.json")
    assert r.status_code == 200
    assert r.json() == SPEC
    assert set(SPEC["paths"]) == {"/createInvoice", "/createPreAuthInvoice", "/inquireInvoice",
                                  "/deactivateInvoice", "/activateInvoice", "/completeInvoice",
                                  "/refundInvoice"}


def test_the_description_is_valid_openapi() -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(SPEC)


def test_every_answer_matches_the_description(shop: PayOne) -> None:
    request = shop.document(invoicesDetails=[item("A", generateQRCode="yes"),
                                             item("B", dynamicFields=[{"ItemID": "1"}])])
    assert not list(schema("CreateRequest").iter_errors(request))
    check("createInvoice", shop.ok("createInvoice", request))
    check("createPreAuthInvoice", shop.ok("createPreAuthInvoice", shop.document(
        invoicesDetails=[item("P")])))
    check("inquireInvoice", shop.inquire("A"))
    check("deactivateInvoice", shop.deactivate("B").json())
    check("activateInvoice", shop.activate("B").json())
    shop.pay("A")
    shop.pay("P")
    check("inquireInvoice", shop.inquire("A"))
    complete = shop.document(invoicesDetails=[{"invoiceID": "P", "amount": "100",
                                               "currency": "682"}])
    assert not list(schema("CompleteRequest").iter_errors(complete))
    check("completeInvoice", shop.ok("completeInvoice", complete))
    check("refundInvoice", shop.refund("A").json())
    for operation, document in (("inquireInvoice", shop.document(invoiceID="NOPE")),
                                ("createInvoice", shop.document(invoicesDetails=[]))):
        check(operation, shop.call(operation, document).json())


def test_the_description_rejects_what_the_sandbox_rejects() -> None:
    assert list(schema("InvoiceDetail").iter_errors(item(amount="1.00")))
    assert list(schema("InvoiceDetail").iter_errors(item(expiryperiod="3H")))
    assert list(schema("Error").iter_errors({"Error": "00099", "ErrorMessage": "x"}))
