"""The Harvest OpenAPI description: served by the control plane, valid, complete, and true to what
the sandbox answers in both wire forms (XML answers are read back into values by their `type`
attributes and checked against the same schemas, element names dasherized)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from harvest_support import Harvest, invoice_xml, payment_xml
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

SPEC_PATH = Path(__file__).resolve().parents[2] / "app" / "providers" / "harvest" / "openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
_SUFFIX = re.compile(r"\.(xml|json)$")


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operation(method: str, path: str) -> dict[str, Any]:
    bare = _SUFFIX.sub("", path.split("?", 1)[0].rstrip("/"))
    # Literal paths (the state actions) before templated ones.
    for template in sorted(SPEC["paths"], key=lambda t: t.count("{")):
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, bare) and method.lower() in SPEC["paths"][template]:
            return dict(SPEC["paths"][template][method.lower()])
    raise AssertionError(f"{method} {path} is not in the document")


def xml_value(element: ET.Element) -> Any:
    """A Rails XML element as the value its `type` attribute says it is."""
    if element.get("nil") == "true":
        return None
    kind = element.get("type")
    if kind == "array" or element.tag == "errors":
        return [xml_value(child) for child in element]
    if len(element):
        return {child.tag.replace("-", "_"): xml_value(child) for child in element}
    text = element.text or ""
    if kind == "integer":
        return int(text)
    if kind == "decimal":
        return float(text)
    if kind == "boolean":
        assert text in ("true", "false"), text
        return text == "true"
    return text


def _validate(schema: dict[str, Any], value: Any) -> None:
    validator = OAS30Validator({**schema, "components": SPEC["components"]})
    errors = [e.message for e in validator.iter_errors(value)]
    assert not errors, errors


def check(method: str, path: str, response: httpx.Response) -> None:
    """The answer is one the document declares for this operation and status."""
    answers = operation(method, path)["responses"]
    assert str(response.status_code) in answers, (method, path, response.status_code)
    declared = _deref(answers[str(response.status_code)])
    for header in declared.get("headers", {}):
        assert header.lower() in response.headers, (path, header)
    if not response.content:
        assert "content" not in declared, (method, path, "an empty body is not documented")
        return
    media = response.headers["content-type"].split(";")[0].strip()
    assert media in declared.get("content", {}), (method, path, media)
    schema = _deref(declared["content"][media]["schema"])
    if media == "application/json":
        _validate(schema, response.json())
    elif media == "application/xml":
        root = ET.fromstring(response.content)
        if root.tag != "nil-classes":  # Rails' empty array
            assert root.tag == schema["xml"]["name"], (root.tag, schema["xml"])
        _validate(schema, xml_value(root))
    else:
        assert isinstance(response.text, str)


class Checked(Harvest):
    """A Harvest client whose every answer is checked against the document."""

    def call(self, method: str, path: str, body: bytes | None = None, *, fmt: str = "xml",
             headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        response = super().call(method, path, body, fmt=fmt, headers=headers, **kwargs)
        check(method, path, response)
        return response


def test_the_document_is_served_and_valid(client: TestClient) -> None:
    response = client.get("/_sandbox/openapi/harvest.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == SPEC
    validate(SPEC)
    operations = {(m.upper(), p) for p, ops in SPEC["paths"].items() for m in ops
                  if m != "parameters"}
    assert operations == {
        ("GET", "/invoices"), ("POST", "/invoices"), ("GET", "/invoices/{invoice_id}"),
        ("PUT", "/invoices/{invoice_id}"), ("DELETE", "/invoices/{invoice_id}"),
        ("GET", "/invoices/{invoice_id}/payments"), ("POST", "/invoices/{invoice_id}/payments"),
        ("GET", "/invoices/{invoice_id}/payments/{payment_id}"),
        ("DELETE", "/invoices/{invoice_id}/payments/{payment_id}"),
        ("GET", "/invoice/{invoice_id}/payments/{payment_id}"),
        ("GET", "/invoices/{invoice_id}/messages"), ("POST", "/invoices/{invoice_id}/messages"),
        ("GET", "/invoices/{invoice_id}/messages/{message_id}"),
        ("DELETE", "/invoices/{invoice_id}/messages/{message_id}"),
        ("POST", "/invoices/{invoice_id}/messages/mark_as_sent"),
        ("POST", "/invoices/{invoice_id}/messages/mark_as_closed"),
        ("POST", "/invoices/{invoice_id}/messages/re_open"),
        ("POST", "/invoices/{invoice_id}/messages/mark_as_draft"),
        ("GET", "/account/who_am_i"), ("GET", "/account/rate_limit_status"),
    }


def test_the_check_is_not_vacuous() -> None:
    def fake(status: int, body: bytes, ctype: str, **headers: str) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"content-type": ctype, **headers})

    xml = "application/xml; charset=utf-8"
    good = b'<payment><amount type="decimal">1.0</amount></payment>'
    for response in [
        fake(200, b'{"payment": {"amount": 1}}', "application/json"),  # fields missing
        fake(200, good, xml),  # fields missing
        fake(200, b'<invoice><id type="integer">1</id></invoice>', xml),  # wrong root
        fake(418, b"", xml),
        fake(200, b'{"detail": "x"}', "text/plain"),
        fake(201, b"", xml),  # no Location
    ]:
        with pytest.raises(AssertionError):
            check("GET" if response.status_code != 201 else "POST",
                  "/invoices/1/payments/2" if response.status_code != 201
                  else "/invoices/1/payments", response)
    check("DELETE", "/invoices/1/payments/2", fake(200, b"", xml))
    check("GET", "/invoices/1/payments", fake(200, b'<nil-classes type="array"/>', xml))


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_every_operation_answers_as_documented(client: TestClient, fmt: str) -> None:
    api = Checked(client, f"openapi-{fmt}@example.com", "pw")
    api.get("/account/who_am_i", fmt=fmt)
    api.get(f"/account/rate_limit_status.{fmt}")
    assert api.get("/invoices", fmt=fmt).status_code == 200  # the empty list
    invoice = api.create_invoice(fmt=fmt if fmt == "xml" else "xml")
    assert api.put(f"/invoices/{invoice}", b"<invoice><subject>S</subject></invoice>",
                   headers={"Accept": "application/json" if fmt == "json" else "application/xml"},
                   ).status_code == 200
    api.get(f"/invoices.{fmt}")
    api.get(f"/invoices/{invoice}.{fmt}")
    api.get("/invoices?status=draft", fmt=fmt)
    assert api.get("/invoices?page=0", fmt=fmt).status_code == 422
    assert api.get("/invoices/999999", fmt=fmt).status_code == 404
    assert api.post("/invoices", b"<invoice><client-id>x</client-id></invoice>",
                    headers={"Accept": f"application/{fmt}", "Content-Type": "application/xml"},
                    ).status_code == 422

    payment = api.pay(invoice, "100.00")
    api.get(f"/invoices/{invoice}/payments", fmt=fmt)
    api.get(f"/invoices/{invoice}/payments/{payment}", fmt=fmt)
    api.get(f"/invoice/{invoice}/payments/{payment}", fmt=fmt)
    assert api.post(f"/invoices/{invoice}/payments", payment_xml(""),
                    headers={"Accept": f"application/{fmt}", "Content-Type": "application/xml"},
                    ).status_code == 422
    message = api.send(invoice)
    api.get(f"/invoices/{invoice}/messages", fmt=fmt)
    api.get(f"/invoices/{invoice}/messages/{message}", fmt=fmt)
    # partial: it cannot go back to draft (400 + Hint), but can be closed and re-opened
    assert api.post(f"/invoices/{invoice}/messages/mark_as_draft", fmt=fmt).status_code == 400
    assert api.post(f"/invoices/{invoice}/messages/mark_as_closed", fmt=fmt).status_code == 200
    assert api.post(f"/invoices/{invoice}/payments", payment_xml("1.00"),
                    headers={"Accept": f"application/{fmt}", "Content-Type": "application/xml"},
                    ).status_code == 400
    assert api.post(f"/invoices/{invoice}/messages/re_open", fmt=fmt).status_code == 200
    assert api.delete(f"/invoices/{invoice}/messages/{message}", fmt=fmt).status_code == 200
    assert api.delete(f"/invoices/{invoice}/payments/{payment}", fmt=fmt).status_code == 200
    assert api.post(f"/invoices/{invoice}/messages/mark_as_draft", fmt=fmt).status_code == 200
    assert api.post(f"/invoices/{invoice}/messages/mark_as_sent", fmt=fmt).status_code == 200
    listed = api.get(f"/invoices/{invoice}/payments", fmt=fmt)
    assert listed.status_code == 200
    assert api.delete(f"/invoices/{invoice}", fmt=fmt).status_code == 200

    stranger = Checked(client, f"openapi-{fmt}@example.com", "wrong")
    assert stranger.get("/invoices", fmt=fmt).status_code == 401
    assert stranger.get(f"/invoices.{fmt}?access_token=nope",
                        headers={"Authorization": ""}).status_code == 401


def test_a_second_page_and_a_full_invoice_in_both_forms(client: TestClient) -> None:
    api = Checked(client, "openapi-full@example.com", "pw")
    body = invoice_xml(subject="Full", notes="N", purchase_order="PO-1", tax="10",
                       tax2="2", discount="5", issued_at="2026-03-01",
                       due_at_human_format="NET 15", period_start="2026-02-01",
                       period_end="2026-02-28",
                       lines="Service,Work,1,100.00,100.0,true,true,\nProduct,Pen,2,1.50,3.0,false,false,")
    invoice = api.create_invoice(body)
    for fmt in ("xml", "json"):
        api.get(f"/invoices/{invoice}", fmt=fmt)
        api.get("/invoices?page=2", fmt=fmt)
