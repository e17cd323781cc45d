"""Helpers for the Maast tests: a client that checks every answer against the project's OpenAPI
description, request bodies, and state snapshots for "a failed write changed nothing"."""

from __future__ import annotations

import base64
import json
import re
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import httpx
from openapi_schema_validator import OAS30Validator

SPEC_PATH = Path(__file__).resolve().parents[2] / "app" / "providers" / "maast" / "openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))

# The sandbox clock is frozen here in most tests, so timestamps and "today" are known.
NOW = "2026-03-02T10:30:00Z"
TODAY = "2026-03-02"
DB_TIMESTAMP = "2026-03-02T10:30:00.000+0000"
DEMO_KEY = "maast-demo-key"
GUIDE_AUTH = "Basic OjllZGVjMjFhMzFjMHh5ejc4OWUzMGEzNDE2YWJjMTIz"  # the guides' header value
DECLINED_CARD = "4000000000000002"


class Http(Protocol):
    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response: ...


def basic_key(key: str) -> dict[str, str]:
    token = base64.b64encode(f":{key}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


# --- OpenAPI ---------------------------------------------------------------------------------

def _template_regex(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
    return re.compile(f"^/platform{pattern}$")


_OPERATIONS = [(_template_regex(path), ops) for path, ops in SPEC["paths"].items()]


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def response_schema(method: str, path: str, status: int) -> dict[str, Any]:
    """The schema the document declares for this answer; unknown paths answer NotFound."""
    for regex, ops in _OPERATIONS:
        if regex.match(path) and method.lower() in ops:
            responses = ops[method.lower()]["responses"]
            declared = responses.get(str(status)) or responses.get("default")
            assert declared is not None, f"{method} {path}: status {status} is not documented"
            schema: dict[str, Any] = _deref(declared)["content"]["application/json"]["schema"]
            return schema
    # No such operation: the sandbox must answer the documented "service does not exist".
    assert status == 404, f"{method} {path} is not in the document but answered {status}"
    not_found: dict[str, Any] = _deref(SPEC["components"]["responses"]["NotFound"])
    return dict(not_found["content"]["application/json"]["schema"])


@cache
def _validator(schema_json: str) -> OAS30Validator:
    # The document's components travel with the schema so that "#/components/..." resolves.
    root = {"components": SPEC["components"], "allOf": [json.loads(schema_json)]}
    return OAS30Validator(root)


def check_against_spec(method: str, path: str, response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert "detail" not in body, f"framework error body leaked: {body}"
    schema = response_schema(method, path, response.status_code)
    errors = sorted(_validator(json.dumps(schema, sort_keys=True)).iter_errors(body),
                    key=lambda e: list(e.path))
    assert not errors, f"{method} {path} {response.status_code}: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5])


# --- the client ------------------------------------------------------------------------------

class Maast:
    """Maast calls as a client makes them; every answer is checked against the document."""

    def __init__(self, http: Http, key: str = "test-key") -> None:
        self.http = http
        self.key = key

    def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
             key: str | None = None, headers: dict[str, str] | None = None,
             params: Any = None, auth: bool = True) -> httpx.Response:
        sent = {"accept": "application/json"}
        if auth:
            sent.update(basic_key(key or self.key))
        content = raw
        if body is not None:
            content = json.dumps(body).encode()
        if content is not None:
            sent["content-type"] = "application/json"
        sent.update(headers or {})
        response = self.http.request(method, "/platform" + path, content=content, headers=sent,
                                     params=params)
        check_against_spec(method, "/platform" + path, response)
        return response

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        response = self.call(method, path, body, **kw)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert payload["code"] == 0 and payload["message"] == "Success", payload
        return payload.get("data")

    def fail(self, method: str, path: str, body: Any = None, *, status: int = 400,
             code: int = 2, **kw: Any) -> dict[str, Any]:
        response = self.call(method, path, body, **kw)
        assert response.status_code == status, response.text
        payload: dict[str, Any] = response.json()
        assert payload["code"] == code, payload
        assert isinstance(payload["message"], str) and payload["message"]
        return payload

    # shortcuts for the common calls
    def create(self, **fields: Any) -> dict[str, Any]:
        data: dict[str, Any] = self.ok("POST", "/invoice", invoice_body(**fields))
        return data

    def detail(self, invoice_id: int) -> dict[str, Any]:
        data: dict[str, Any] = self.ok("GET", f"/invoice/{invoice_id}/detail")
        return data

    def send(self, invoice_id: int, body: Any = None) -> dict[str, Any]:
        data: dict[str, Any] = self.ok("POST", f"/invoice/{invoice_id}/send", body)
        return data

    def pay(self, invoice_id: int, amount: Any, kind: str = "CASH",
            date: str = "2026-03-01", **extra: Any) -> dict[str, Any]:
        data: dict[str, Any] = self.ok("POST", f"/invoice/{invoice_id}/payments",
                                       {"type": kind, "amt_paid": amount, "date_payment": date,
                                        **extra})
        return data

    def payments(self, invoice_id: int | None = None) -> list[dict[str, Any]]:
        path = "/invoice/payments" if invoice_id is None else f"/invoice/{invoice_id}/payments"
        return self.all_pages(path, order_on="payment_id")

    def all_pages(self, path: str, order_on: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        page = 0
        while True:
            listing = self.call("GET", path, params={"count": 100, "page": page,
                                                     "order_on": order_on, "order_by": "asc"})
            assert listing.status_code == 200, listing.text
            rows.extend(listing.json()["data"])
            if page + 1 >= listing.json()["totalPages"]:
                return rows
            page += 1

    def snapshot(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Everything the tenant can see: every invoice and every payment, in full."""
        return self.all_pages("/invoice", "invoice_id"), self.payments()

    def token(self, invoice_id: int) -> str:
        link = self.detail(invoice_id)["invoice_link"]
        return str(link).rsplit("/", 1)[1]


def invoice_body(**fields: Any) -> dict[str, Any]:
    """A valid CreateInvoiceRequest: 2 x 10.00 + 1 x 5.50, no tax, due in 10 days."""
    body: dict[str, Any] = {
        "customer_id": "CUST1",
        "invoice_number": "INV-1",
        "save_customer": True,
        "billing_contact": {"first_name": "Ada", "last_name": "Lovelace",
                            "email_address": "ada@example.com"},
        "date_invoice": "2026-03-01",
        "payment_terms": {"type": "DAYS", "value": "10"},
        "line_items": [{"quantity": 2, "description": "Widget", "unit_cost": 10.00},
                       {"quantity": 1, "description": "Shipping", "unit_cost": 5.5}],
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def freeze(http: Http, instant: str = NOW) -> None:
    response = http.request("POST", "/_sandbox/clock",
                            content=json.dumps({"set": instant, "freeze": True}).encode(),
                            headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text


def card_pay(http: Http, token: str, **body: Any) -> httpx.Response:
    return http.request("POST", f"/_sandbox/checkout/{token}/pay",
                        content=json.dumps(body).encode(),
                        headers={"content-type": "application/json"})
