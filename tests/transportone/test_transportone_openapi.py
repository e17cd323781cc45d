"""The TransportOne OpenAPI description: served by the control plane, valid, complete, and true
to the answers and callbacks the sandbox really produces."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_schema_validator import OAS30Validator
from transportone_kit import BILLING, SANDBOX, TOKEN, Receiver, charge, login, make_invoice

SPEC_PATH = (Path(__file__).resolve().parents[2] / "app" / "providers" / "transportone"
             / "openapi.json")
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def validator(schema: dict[str, Any]) -> OAS30Validator:
    return OAS30Validator({**schema, "components": SPEC["components"]})


def declared(method: str, path: str, status: int) -> dict[str, Any]:
    for template, operations in SPEC["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "/?$"
        if re.match(pattern, path) and method.lower() in operations:
            answer = operations[method.lower()]["responses"][str(status)]
            if "$ref" in answer:
                answer = SPEC["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
            return answer["content"]["application/json"]["schema"]  # type: ignore[no-any-return]
    raise AssertionError(f"{method} {path} is not in the document")


def check(response: Any, method: str, path: str) -> Any:
    body = response.json()
    errors = list(validator(declared(method, path, response.status_code)).iter_errors(body))
    assert not errors, [e.message for e in errors]
    return body


def conforms(name: str, body: Any) -> None:
    errors = list(validator({"$ref": f"#/components/schemas/{name}"}).iter_errors(body))
    assert not errors, [e.message for e in errors]


def test_the_document_is_served_and_valid(client: TestClient) -> None:
    response = client.get("/_sandbox/openapi/transportone.json")
    assert response.status_code == 200 and response.json() == SPEC
    validator_module = pytest.importorskip("openapi_spec_validator")
    validator_module.validate(SPEC)
    operations = {(m.upper(), p) for p, ops in SPEC["paths"].items() for m in ops}
    assert operations == {
        ("POST", TOKEN), ("POST", f"{BILLING}/transporter/cancel-invoice"),
        ("POST", f"{BILLING}/transporter/cancel-invoice/{{invoice_id}}"),
        ("GET", f"{BILLING}/invoice/pending-approval"), ("GET", f"{BILLING}/shipper/invoice"),
        ("GET", f"{BILLING}/transporter/invoice/{{invoice_id}}"),
        ("GET", f"{BILLING}/charge/{{charge_id}}"), ("GET", f"{BILLING}/shipper/charge"),
        ("POST", f"{BILLING}/charge/reject"), ("POST", f"{BILLING}/bulk-process-charge"),
        ("POST", f"{BILLING}/shipper/bulk/upload/payment"),
        ("GET", f"{BILLING}/invoice/payments/{{invoice_id}}"), ("POST", f"{BILLING}/payments"),
        ("GET", f"{BILLING}/autoapproval-configuration"),
    }


def test_the_check_is_not_vacuous() -> None:
    with pytest.raises(AssertionError):
        conforms("Error", {"detail": "Not Found"})
    with pytest.raises(AssertionError):
        conforms("CancelResponse", {"data": {"success": True}, "message": "Success",
                                    "status": "success"})


def test_every_answer_matches_the_document(client: TestClient) -> None:
    token = client.post(TOKEN, headers={"x-coreos-tid": "acme"},
                        json={"clientId": "erp", "clientSecret": "pw"})
    check(token, "POST", TOKEN)
    headers = login(client, client_id="erp", secret="pw")
    with Receiver() as receiver:
        client.put(f"{SANDBOX}/acme/erp-callback", json={"url": receiver.url, "secret": "s"})
        make_invoice(client, "INV-O-1", state="SUBMITTED",
                     charges=[charge("CHG-O-1", 100.5, systemAmount=100), charge("CHG-O-2", 9)])
        make_invoice(client, "INV-O-2")
        check(client.get(f"{BILLING}/invoice/pending-approval", headers=headers), "GET",
              f"{BILLING}/invoice/pending-approval")
        check(client.get(f"{BILLING}/shipper/invoice/", headers=headers), "GET",
              f"{BILLING}/shipper/invoice/")
        check(client.get(f"{BILLING}/transporter/invoice/INV-O-1/", headers=headers), "GET",
              f"{BILLING}/transporter/invoice/INV-O-1/")
        check(client.get(f"{BILLING}/charge/CHG-O-1", headers=headers), "GET",
              f"{BILLING}/charge/CHG-O-1")
        check(client.get(f"{BILLING}/shipper/charge", headers=headers), "GET",
              f"{BILLING}/shipper/charge")
        check(client.post(f"{BILLING}/bulk-process-charge", headers=headers, json={
            "create": [{"chargeHead": "Toll", "amount": 5}],
            "update": [{"uniqueCode": "CHG-O-2", "amount": 10}]}), "POST",
            f"{BILLING}/bulk-process-charge")
        check(client.post(f"{BILLING}/charge/reject", headers=headers, json={
            "rejectedCharges": [{"uniqueCode": "CHG-O-2", "shipperRejectionReason": "no"}],
            "approveRemaining": True, "invoiceId": "INV-O-1"}), "POST",
            f"{BILLING}/charge/reject")
        conforms("ApprovedInvoiceCallback", receiver.wait()[0]["body"])
        check(client.post(f"{BILLING}/payments", headers=headers,
                          json={"invoiceId": "INV-O-1", "appliedAmount": 50}), "POST",
              f"{BILLING}/payments")
        upload = client.post(f"{BILLING}/shipper/bulk/upload/payment", headers=headers, json={
            "data": {"payments": [{"invoiceId": "INV-O-1", "appliedAmount": 50.5},
                                  {"invoiceId": "INV-O-2", "appliedAmount": 1}]},
            "callback": {"url": receiver.url}})
        check(upload, "POST", f"{BILLING}/shipper/bulk/upload/payment")
        conforms("BulkPaymentResult", receiver.wait(2)[1]["body"])
    check(client.get(f"{BILLING}/invoice/payments/INV-O-1", headers=headers), "GET",
          f"{BILLING}/invoice/payments/INV-O-1")
    check(client.post(f"{BILLING}/transporter/cancel-invoice", headers=headers,
                      json={"invoiceId": "INV-O-2"}), "POST",
          f"{BILLING}/transporter/cancel-invoice")
    for latest in ("true", "false"):
        check(client.get(f"{BILLING}/autoapproval-configuration",
                         params={"latest": latest}, headers=headers), "GET",
              f"{BILLING}/autoapproval-configuration")
    # errors too
    for response, method, path in [
        (client.get(f"{BILLING}/shipper/invoice"), "GET", f"{BILLING}/shipper/invoice"),
        (client.post(f"{BILLING}/transporter/cancel-invoice/INV-O-1", headers=headers), "POST",
         f"{BILLING}/transporter/cancel-invoice/INV-O-1"),
        (client.get(f"{BILLING}/charge/CHG-NONE", headers=headers), "GET",
         f"{BILLING}/charge/CHG-NONE"),
        (client.post(f"{BILLING}/payments", headers=headers, json={}), "POST",
         f"{BILLING}/payments"),
    ]:
        assert response.status_code >= 400
        check(response, method, path)
