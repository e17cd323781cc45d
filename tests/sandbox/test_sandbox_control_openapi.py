"""The control plane's own OpenAPI document says what its handlers really answer: every
operation is called, successes and failures, and each answer's status is documented for that
operation (never the framework's 422) with a body that matches the documented schema."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from invoice_sandbox.settings import BUNDLED_FIXTURES
from openapi_schema_validator import OAS30Validator, OAS31Validator
from openapi_spec_validator import validate

MAAST = {"Authorization": "Basic " + base64.b64encode(b":control-openapi-key").decode()}
T1 = "/_sandbox/transportone"
P1 = "/_sandbox/payone/merchants"
TOO_LARGE = b'{"x": "' + b"a" * 70_000 + b'"}'
HUGE = b'{"x": "' + b"a" * 1_100_000 + b'"}'  # over the TransportOne extension's 1 MiB


class Recorder:
    """Calls the sandbox, checks each answer against the served document, and notes which
    operations were exercised."""

    def __init__(self, http: TestClient) -> None:
        self.http = http
        self.spec: dict[str, Any] = http.get("/_sandbox/openapi.json").json()
        self.seen: set[tuple[str, str]] = set()

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        bare = path.split("?", 1)[0]
        for template in sorted(self.spec["paths"], key=lambda t: t.count("{")):
            pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
            operations = self.spec["paths"][template]
            if re.match(pattern, bare) and method.lower() in operations:
                return template, operations[method.lower()]
        raise AssertionError(f"{method} {path} is not in the document")

    def check(self, method: str, path: str, response: httpx.Response) -> None:
        template, operation = self.operation(method, path)
        self.seen.add((method.lower(), template))
        declared = operation["responses"].get(str(response.status_code))
        assert declared is not None, (method, path, response.status_code, response.text)
        schema = declared["content"]["application/json"]["schema"]
        kind = OAS31Validator if self.spec["openapi"].startswith("3.1") else OAS30Validator
        validator = kind({**schema, "components": self.spec["components"]})
        errors = [e.message for e in validator.iter_errors(response.json())]
        assert not errors, (method, path, errors)

    def __call__(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        assert response.status_code == status, (method, path, response.text)
        self.check(method, path, response)
        return response.json()


def test_the_document_is_valid_and_never_promises_422(demo_client: TestClient) -> None:
    spec = demo_client.get("/_sandbox/openapi.json").json()
    validate(spec)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert "422" not in operation["responses"], (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_the_check_is_not_vacuous(client: TestClient) -> None:
    record = Recorder(client)
    with pytest.raises(AssertionError):  # 422 is not documented
        record.check("GET", "/_sandbox/health", httpx.Response(422, json={"detail": []}))
    with pytest.raises(AssertionError):  # not the control plane's error shape
        record.check("GET", "/_sandbox/openapi/x.json", httpx.Response(404, json={"detail": "x"}))


def _maast_token(http: TestClient, number: str) -> str:
    created = http.post("/platform/invoice", headers=MAAST, json={
        "customer_id": "C1", "invoice_number": number, "save_customer": True,
        "billing_contact": {"first_name": "A", "last_name": "B", "email_address": "a@b.c"},
        "line_items": [{"quantity": 1, "unit_cost": 10}]}).json()["data"]
    invoice_id = created["invoice_id"]
    assert http.post(f"/platform/invoice/{invoice_id}/send", headers=MAAST).status_code == 200
    detail = http.get(f"/platform/invoice/{invoice_id}/detail", headers=MAAST).json()["data"]
    return str(detail["invoice_link"]).rsplit("/", 1)[1]


def test_every_operation_answers_as_documented(demo_client: TestClient) -> None:
    call = Recorder(demo_client)
    large = {"content": TOO_LARGE, "headers": {"content-type": "application/json"}}

    call("GET", "/_sandbox/health", 200)
    call("POST", "/_sandbox/reset?provider=nobody", 400)
    call("POST", "/_sandbox/reset?provider=maast", 200)
    call("GET", "/_sandbox/clock", 200)
    call("POST", "/_sandbox/clock", 400, json={"colour": "red"})
    call("POST", "/_sandbox/clock", 413, **large)
    call("POST", "/_sandbox/clock", 200, json={"advance": 0})
    call("GET", "/_sandbox/openapi/maast.json", 200)
    call("GET", "/_sandbox/openapi/nobody.json", 404)
    call("GET", "/_sandbox/deliveries", 200)
    call("GET", "/_sandbox/deliveries?since=soon", 400)
    call("GET", "/_sandbox/requests", 200)
    call("GET", "/_sandbox/requests?status=abc", 400)
    call("DELETE", "/_sandbox/requests", 200)

    call("GET", "/_sandbox/faults", 200)
    call("POST", "/_sandbox/faults", 400, json={"action": "explode"})
    call("POST", "/_sandbox/faults", 413, **large)
    rule = call("POST", "/_sandbox/faults", 201,
                json={"provider": "payone", "action": "delay", "ms": 1, "times": 1})
    call("GET", f"/_sandbox/faults/{rule['id']}", 200)
    call("GET", "/_sandbox/faults/999999", 404)
    call("DELETE", f"/_sandbox/faults/{rule['id']}", 200)
    call("DELETE", "/_sandbox/faults/999999", 404)
    call("DELETE", "/_sandbox/faults", 200)

    token = _maast_token(demo_client, "OPENAPI-1")
    call("POST", "/_sandbox/checkout/no-such-token/pay", 404, json={})
    call("POST", f"/_sandbox/checkout/{token}/pay", 400, json={"amount": "ten"})
    call("POST", f"/_sandbox/checkout/{token}/pay", 402,
         json={"card_number": "4000000000000002"})
    call("POST", f"/_sandbox/checkout/{token}/pay", 413, **large)
    call("POST", f"/_sandbox/checkout/{token}/pay", 200, json={})
    call("POST", f"/_sandbox/checkout/{token}/pay", 409, json={})

    call("GET", f"{P1}/nobody", 404)
    call("POST", f"{P1}/OPENAPI1", 400, json={"refund_approval": "yes"})
    call("POST", f"{P1}/OPENAPI1", 413, **large)
    call("POST", f"{P1}/OPENAPI1", 200, json={"refund_approval": True})
    call("GET", f"{P1}/OPENAPI1", 200)
    call("POST", f"{P1}/nobody/invoices/1/approve-refund", 404)
    call("POST", f"{P1}/OPENAPI1/invoices/nothing/approve-refund", 404)

    invoice = {"uniqueCode": "OA-1", "invoiceNumber": "NUM-OA-1", "transporterId": "TRN-1",
               "transporterName": "Road Runner", "state": "DRAFT",
               "charges": [{"uniqueCode": "OA-1-C1", "chargeHead": "Freight Charges",
                            "chargeType": "EXPENSE", "amount": 1000}]}
    call("POST", f"{T1}/openapi-t/invoices", 400, json={"uniqueCode": 7})
    call("POST", f"{T1}/openapi-t/invoices", 413, content=HUGE,
         headers={"content-type": "application/json"})
    call("POST", f"{T1}/openapi-t/invoices", 201, json=invoice)
    call("POST", f"{T1}/openapi-t/invoices/OA-1/explode", 404)
    call("POST", f"{T1}/openapi-t/invoices/OA-1/approve", 409)  # a draft is submitted first
    call("POST", f"{T1}/openapi-t/invoices/OA-1/submit", 200)
    call("GET", f"{T1}/nobody-t/erp-callback", 404)
    call("PUT", f"{T1}/openapi-t/erp-callback", 400, json={"url": "ftp://x"})
    call("POST", f"{T1}/openapi-t/erp-callback", 200, json={"url": "http://127.0.0.1:9/x"})
    call("PUT", f"{T1}/openapi-t/erp-callback", 200, json={"url": "http://127.0.0.1:9/y"})
    call("GET", f"{T1}/openapi-t/erp-callback", 200)
    call("DELETE", f"{T1}/openapi-t/erp-callback", 200)
    call("DELETE", f"{T1}/nobody-t/erp-callback", 404)
    call("GET", f"{T1}/nobody-t/autoapproval-configuration", 404)
    call("POST", f"{T1}/openapi-t/autoapproval-configuration", 400, json={"enabled": "y"})
    call("PUT", f"{T1}/openapi-t/autoapproval-configuration", 200, json={"enabled": True})
    call("POST", f"{T1}/openapi-t/autoapproval-configuration", 200, json={"enabled": False})
    call("GET", f"{T1}/openapi-t/autoapproval-configuration", 200)

    call("GET", "/_sandbox/overview", 200)
    call("GET", "/_sandbox/tenants", 200)
    call("GET", "/_sandbox/tenants?provider=nobody", 400)
    listed = call("GET", "/_sandbox/invoices?provider=maast&per_page=1", 200)
    call("GET", "/_sandbox/invoices?page=0", 400)
    first = listed["invoices"][0]
    call("GET", f"/_sandbox/invoices/maast/{first['id']}", 200)
    call("GET", "/_sandbox/invoices/maast/999999", 404)
    call("GET", "/_sandbox/requests/stream?provider=nobody", 400)
    call("GET", "/_sandbox/snapshot?provider=nobody", 400)
    document = call("GET", "/_sandbox/snapshot", 200)
    call("POST", "/_sandbox/snapshot", 400, json=[])
    call("POST", "/_sandbox/snapshot", 400, json={**document, "version": 999})
    call("POST", "/_sandbox/snapshot", 200, json=document)

    documented = {(method, path) for path, operations in call.spec["paths"].items()
                  for method in operations}
    assert documented - call.seen == set(), "operations never exercised"


def test_the_guard_answers_are_documented(make_client: Callable[..., TestClient]) -> None:
    http = make_client(fixtures=BUNDLED_FIXTURES, control_token="t0ken")
    call = Recorder(make_client())  # the document, read without a token
    for method, path in [("GET", "/_sandbox/health"), ("POST", "/_sandbox/reset"),
                         ("GET", "/_sandbox/requests"), ("DELETE", "/_sandbox/faults")]:
        response = http.request(method, path)
        assert response.status_code == 401
        call.check(method, path, response)
    refused = http.post("/_sandbox/reset", headers={"X-Sandbox-Token": "t0ken",
                                                    "Origin": "http://elsewhere.example"})
    assert refused.status_code == 403
    call.check("POST", "/_sandbox/reset", refused)
