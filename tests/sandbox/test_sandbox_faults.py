"""Fault injection: `POST/GET/DELETE /_sandbox/faults[/{id}]` and what clients then see."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from invoice_sandbox.sandbox.faults import tenant_of

from tests.conftest import ServedSandbox, basic

KEY = "faults-key-1"
AUTH = basic("", KEY)
CREATE = {"customer_id": "C1", "invoice_number": "N1", "save_customer": True,
          "billing_contact": {"first_name": "A", "last_name": "B", "email_address": "a@b.c"},
          "line_items": [{"quantity": 1, "unit_cost": 10}]}
MAAST_SERVER_ERROR = {"code": 99, "message": "Internal server error, please try again later"}


def add_fault(client: TestClient, **rule: Any) -> dict[str, Any]:
    response = client.post("/_sandbox/faults", json=rule)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def invoice_count(client: TestClient, key: str = KEY) -> int:
    response = client.get("/platform/invoice", headers=basic("", key))
    assert response.status_code == 200, response.text
    return int(response.json()["totalRecords"])


def test_error_answers_in_maast_shape_and_writes_nothing(client: TestClient) -> None:
    rule = add_fault(client, provider="maast", method="POST", path="/platform/invoice",
                     action="error", times=1)
    assert rule["id"] > 0 and rule["remaining"] == 1 and rule["hits"] == 0

    failed = client.post("/platform/invoice", json=CREATE, headers=AUTH)
    assert failed.status_code == 500
    assert failed.json() == MAAST_SERVER_ERROR
    assert invoice_count(client) == 0

    # The rule was for one request only: the retry goes through.
    assert client.post("/platform/invoice", json=CREATE, headers=AUTH).status_code == 200
    assert invoice_count(client) == 1
    after = client.get(f"/_sandbox/faults/{rule['id']}").json()
    assert (after["remaining"], after["hits"]) == (0, 1)

    posts = client.get("/_sandbox/requests", params={"method": "POST"}).json()["requests"]
    assert [(e["status"], e["fault"]) for e in posts] == [
        (200, None), (500, {"id": rule["id"], "action": "error"})]


def test_error_with_a_status_override(client: TestClient) -> None:
    add_fault(client, provider="maast", action="error", status=503)
    response = client.post("/platform/invoice", json=CREATE, headers=AUTH)
    assert response.status_code == 503
    assert response.json() == MAAST_SERVER_ERROR
    client.delete("/_sandbox/faults")
    assert invoice_count(client) == 0


def test_delay_holds_the_request_then_serves_it(client: TestClient) -> None:
    add_fault(client, provider="maast", method="POST", action="delay", ms=300, times=1)
    started = time.monotonic()
    response = client.post("/platform/invoice", json=CREATE, headers=AUTH)
    assert time.monotonic() - started >= 0.25
    assert response.status_code == 200
    assert invoice_count(client) == 1
    entry = client.get("/_sandbox/requests", params={"method": "POST"}).json()["requests"][0]
    assert entry["duration_ms"] >= 250 and entry["fault"]["action"] == "delay"


def test_times_counts_down_then_stops(client: TestClient) -> None:
    rule = add_fault(client, provider="maast", method="GET", action="error", times=2)
    statuses = [client.get("/platform/invoice", headers=AUTH).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    listed = client.get("/_sandbox/faults").json()["faults"]
    assert [(r["id"], r["remaining"], r["hits"]) for r in listed] == [(rule["id"], 0, 2)]


def test_probability_one_always_fires_and_zero_never(client: TestClient) -> None:
    never = add_fault(client, provider="maast", method="GET", action="error", status=502,
                      probability=0)
    always = add_fault(client, provider="maast", method="GET", action="error", probability=1)
    statuses = [client.get("/platform/invoice", headers=AUTH).status_code for _ in range(4)]
    assert statuses == [500] * 4
    assert client.get(f"/_sandbox/faults/{never['id']}").json()["hits"] == 0
    assert client.get(f"/_sandbox/faults/{always['id']}").json()["hits"] == 4


def test_probability_and_times_combine(client: TestClient) -> None:
    add_fault(client, provider="maast", method="GET", action="error", probability=1, times=1)
    statuses = [client.get("/platform/invoice", headers=AUTH).status_code for _ in range(2)]
    assert statuses == [500, 200]


def test_rules_match_on_method_path_prefix_and_regex(client: TestClient) -> None:
    add_fault(client, method="DELETE", action="error")
    add_fault(client, path="/platform/invoice/payments", action="error", status=502)
    add_fault(client, path_regex=r"^/platform/invoice/\d+/detail$", action="error", status=504)
    assert client.post("/platform/invoice", json=CREATE, headers=AUTH).status_code == 200
    assert client.get("/platform/invoice/payments", headers=AUTH).status_code == 502
    assert client.get("/platform/invoice/1/detail", headers=AUTH).status_code == 504
    assert client.get("/platform/invoice/1/payments", headers=AUTH).status_code == 200
    assert client.delete("/platform/invoice/1/cancel", headers=AUTH).status_code == 500


def test_tenant_rules_only_hit_that_tenant(client: TestClient) -> None:
    add_fault(client, provider="maast", tenant="victim-key", action="error")
    assert client.post("/platform/invoice", json=CREATE,
                       headers=basic("", "victim-key")).status_code == 500
    assert client.post("/platform/invoice", json=CREATE,
                       headers=basic("", "other-key")).status_code == 200
    client.delete("/_sandbox/faults")
    assert invoice_count(client, "victim-key") == 0
    assert invoice_count(client, "other-key") == 1


def test_tenant_rules_read_payone_merchants_from_the_body(client: TestClient) -> None:
    edge = next(e for e in client.app.state.edges if e.name == "payone")  # type: ignore[attr-defined]
    path = "/URL2PayAdminWeb/rest/InvoicesService/inquireInvoice"

    def inquire(merchant: str) -> httpx.Response:
        document = {"merchantID": merchant, "authenticationToken": "t", "invoiceID": "X-1"}
        return client.post(path, data={"invoice": json.dumps(document)})

    untouched = inquire("M-2")
    add_fault(client, provider="payone", tenant="M-1", action="error")
    faulted = inquire("M-1")
    expected = edge.server_error(Request({"type": "http", "method": "POST", "path": path,
                                          "headers": []}))
    assert (faulted.status_code, faulted.content) == (expected.status_code, expected.body)
    # Another merchant's request still reaches PayOne with its body intact.
    again = inquire("M-2")
    assert (again.status_code, again.content) == (untouched.status_code, untouched.content)
    # A PayOne rule leaves the other providers alone.
    assert client.get("/platform/invoice", headers=AUTH).status_code == 200


def test_the_control_plane_and_unknown_paths_are_never_faulted(client: TestClient) -> None:
    add_fault(client, path_regex=".*", action="error")
    assert client.get("/_sandbox/health").status_code == 200
    outside = client.get("/not/a/provider")
    assert outside.status_code == 404 and "error" in outside.json()
    assert client.get("/platform/invoice", headers=AUTH).status_code == 500
    assert client.delete("/_sandbox/faults").json() == {"deleted": 1}
    assert client.get("/platform/invoice", headers=AUTH).status_code == 200


def test_drop_closes_the_connection_without_an_answer(
        served: Callable[..., ServedSandbox]) -> None:
    server = served()
    auth = basic("", "drop-key")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        created = http.post("/_sandbox/faults", json={"provider": "maast", "method": "POST",
                                                      "action": "drop", "times": 1})
        assert created.status_code == 201
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/platform/invoice", json=CREATE, headers=auth)
        listed = http.get("/platform/invoice", headers=auth)
        assert listed.status_code == 200 and listed.json()["totalRecords"] == 0
        # Only the next request was dropped; the server keeps serving.
        assert http.post("/platform/invoice", json=CREATE, headers=auth).status_code == 200
        entries = http.get("/_sandbox/requests", params={"method": "POST"}).json()["requests"]
    assert [(e["status"], e["fault"]) for e in entries] == [
        (200, None), (None, {"id": created.json()["id"], "action": "drop"})]


def test_get_and_delete_single_rules(client: TestClient) -> None:
    first = add_fault(client, action="drop", provider="maast")
    second = add_fault(client, action="delay", ms=5)
    assert client.get(f"/_sandbox/faults/{first['id']}").json() == first
    removed = client.delete(f"/_sandbox/faults/{first['id']}")
    assert removed.status_code == 200 and removed.json()["id"] == first["id"]
    for raw in (str(first["id"]), "abc", "999999", "-1"):
        for method in ("GET", "DELETE"):
            response = client.request(method, f"/_sandbox/faults/{raw}")
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
    assert [r["id"] for r in client.get("/_sandbox/faults").json()["faults"]] == [second["id"]]


@pytest.mark.parametrize("body", [
    b"not json", b"[1, 2]", b"", b'"error"',
])
def test_malformed_bodies_are_refused(client: TestClient, body: bytes) -> None:
    response = client.post("/_sandbox/faults", content=body,
                           headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
    assert client.get("/_sandbox/faults").json() == {"faults": []}


@pytest.mark.parametrize("rule", [
    {},
    {"action": "explode"},
    {"action": "error", "colour": "red"},
    {"action": "error", "provider": "nope"},
    {"action": "error", "provider": 7},
    {"action": "error", "method": "PO ST"},
    {"action": "error", "method": ""},
    {"action": "error", "path": "platform/invoice"},
    {"action": "error", "path_regex": "("},
    {"action": "error", "tenant": ""},
    {"action": "error", "tenant": "x" * 300},
    {"action": "delay"},
    {"action": "delay", "ms": -1},
    {"action": "delay", "ms": True},
    {"action": "delay", "ms": 1.5},
    {"action": "delay", "ms": 10_000_000},
    {"action": "delay", "ms": 10, "status": 503},
    {"action": "error", "status": 200},
    {"action": "error", "status": "500"},
    {"action": "error", "times": 0},
    {"action": "error", "times": "2"},
    {"action": "error", "probability": 1.5},
    {"action": "error", "probability": -0.1},
    {"action": "error", "probability": True},
    {"action": "error", "probability": "0.5"},
])
def test_invalid_rules_are_refused(client: TestClient, rule: dict[str, Any]) -> None:
    response = client.post("/_sandbox/faults", json=rule)
    assert response.status_code == 400, rule
    error = response.json()["error"]
    assert error["code"] == "invalid_fault" and error["message"]
    assert client.get("/_sandbox/faults").json() == {"faults": []}
    assert client.get("/platform/invoice", headers=AUTH).status_code == 200


def test_the_number_of_rules_is_capped(client: TestClient) -> None:
    for _ in range(100):
        add_fault(client, action="delay", ms=0, probability=0)
    refused = client.post("/_sandbox/faults", json={"action": "error"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_fault"
    assert len(client.get("/_sandbox/faults").json()["faults"]) == 100


def test_a_full_reset_removes_the_rules(client: TestClient) -> None:
    add_fault(client, provider="maast", action="error")
    assert client.post("/_sandbox/reset", params={"provider": "maast"}).status_code == 200
    assert len(client.get("/_sandbox/faults").json()["faults"]) == 1
    assert client.post("/_sandbox/reset").status_code == 200
    assert client.get("/_sandbox/faults").json() == {"faults": []}
    assert client.get("/platform/invoice", headers=AUTH).status_code == 200


@pytest.mark.parametrize(("provider", "headers", "body", "expected"), [
    ("maast", basic("", "api-key"), b"", "api-key"),
    ("harvest", basic("ada@acme.example", "pw"), b"", "ada@acme.example"),
    ("harvest", {**basic("ada@acme.example", "pw"), "host": "acme.localhost:8080"}, b"",
     "acme"),
    ("transportone", {"x-coreos-tid": "shipper-1"}, b"", "shipper-1"),
    ("transportone", {"host": "carrier.localhost"}, b"", "carrier"),
    ("transportone", {"host": "carrier.sandbox.getos1.com"}, b"", "carrier"),
    ("transportone", {"host": "127.0.0.1:8080"}, b"", None),
    ("payone", {}, b"invoice=" + json.dumps({"merchantID": "M-9"}).encode(), "M-9"),
    ("payone", {}, b"invoice=%7Bbroken", None),
    ("maast", {}, b"", None),
])
def test_tenant_keys_come_from_each_providers_credentials(
        provider: str, headers: dict[str, str], body: bytes, expected: str | None) -> None:
    scope = {"type": "http", "headers": [(k.lower().encode(), v.encode())
                                         for k, v in headers.items()]}
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def run() -> tuple[str | None, bytes]:
        tenant, replay = await tenant_of(provider, scope, receive)
        first = await replay()  # the application still gets the whole body
        return tenant, first.get("body", b"")

    tenant, replayed = asyncio.run(run())
    assert tenant == expected
    assert replayed == body


def test_path_regex_runs_in_linear_time(client: TestClient) -> None:
    """`(a+)+$` backtracks exponentially in Python's engine; RE2 answers at once."""
    add_fault(client, path_regex=r"(a+)+$", action="error", status=503)
    slow_path = "/platform/invoice/" + "a" * 40 + "!"
    assert client.get(slow_path, headers=AUTH).status_code != 503  # no match, served
    assert client.get("/platform/invoice/aaa", headers=AUTH).status_code == 503


def test_patterns_that_need_backtracking_are_refused(client: TestClient) -> None:
    for pattern in (r"(a)\1", r"foo(?=bar)"):
        response = client.post("/_sandbox/faults", json={"action": "error",
                                                          "path_regex": pattern})
        assert response.status_code == 400
        assert "RE2" in response.json()["error"]["message"]
    assert client.get("/_sandbox/faults").json()["faults"] == []
