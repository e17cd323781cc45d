"""The control plane under /_sandbox: health, reset (narrowed by provider and tenant, reloading
fixtures), the clock endpoint and its errors, deliveries, and its own error shape."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from invoice_sandbox import __version__
from invoice_sandbox.settings import BUNDLED_FIXTURES

DEMO = {"Authorization": "Basic " + base64.b64encode(b":maast-demo-key").decode()}
OTHER = {"Authorization": "Basic " + base64.b64encode(b":another-key").decode()}
INVOICE = {"customer_id": "ACME", "invoice_number": "EXTRA"}


@pytest.fixture
def demo_http(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(fixtures=BUNDLED_FIXTURES)


def numbers(http: TestClient, headers: dict[str, str]) -> list[str]:
    response = http.get("/platform/invoice", headers=headers, params={"order_by": "asc"})
    assert response.status_code == 200, response.text
    return [row["invoice_number"] for row in response.json()["data"]]


def clock(http: TestClient, body: Any = None, raw: bytes | None = None) -> Any:
    if raw is not None:
        return http.post("/_sandbox/clock", content=raw,
                         headers={"content-type": "application/json"})
    return http.post("/_sandbox/clock", json=body)


def test_health(client: TestClient) -> None:
    response = client.get("/_sandbox/health")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["version"], body["auth"]) == ("ok", __version__, "open")
    assert "maast" in body["providers"]
    assert set(body["clock"]) == {"now", "frozen"}


def test_health_writes_nothing(client: TestClient) -> None:
    for _ in range(3):
        client.get("/_sandbox/health")
    # no tenant was made by the health checks: the first Maast key gets merchant 1
    created = client.post("/platform/invoice", headers=DEMO,
                          json={**INVOICE, "save_customer": True,
                                "billing_contact": {"first_name": "A", "last_name": "B",
                                                    "email_address": "a@b"}})
    assert created.json()["data"]["merchant_id"] == 212000000001


def first_demo_invoice(http: TestClient) -> dict[str, Any]:
    response = http.get("/platform/invoice", headers=DEMO,
                        params={"filter": "invoice_number,EQ,DEMO-1001"})
    data: dict[str, Any] = response.json()["data"][0]
    return data


def test_reset_wipes_everything_and_reloads_the_fixtures(demo_http: TestClient) -> None:
    demo_numbers = numbers(demo_http, DEMO)
    assert demo_numbers == ["DEMO-1001", "DEMO-1002", "DEMO-1003", "DEMO-1004"]
    assert demo_http.post("/platform/invoice", headers=DEMO, json=INVOICE).status_code == 200
    first = first_demo_invoice(demo_http)
    assert demo_http.post(f"/platform/invoice/{first['invoice_id']}/payments", headers=DEMO, json={
        "type": "CASH", "amt_paid": 15.25, "date_payment": "2026-01-06"}).status_code == 200
    assert first_demo_invoice(demo_http)["status"] == "PAID"
    clock(demo_http, {"set": "2030-01-01T00:00:00Z", "freeze": True})
    response = demo_http.post("/_sandbox/reset")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["provider"], body["tenant"]) == ("ok", None, None)
    assert body["tenants_removed"] >= 1
    assert numbers(demo_http, DEMO) == demo_numbers
    first = first_demo_invoice(demo_http)
    assert (first["status"], first["amt_paid"]) == ("SAVED", 0)
    assert demo_http.get("/_sandbox/clock").json()["frozen"] is False  # the clock is reset too


def test_reset_narrowed_to_a_tenant_or_provider(demo_http: TestClient) -> None:
    demo_http.post("/platform/invoice", headers=DEMO, json=INVOICE)
    other = demo_http.post("/platform/invoice", headers=OTHER, json={
        **INVOICE, "save_customer": True,
        "billing_contact": {"first_name": "A", "last_name": "B", "email_address": "a@b"}})
    assert other.status_code == 200
    clock(demo_http, {"set": "2030-01-01T00:00:00Z", "freeze": True})

    narrowed = demo_http.post("/_sandbox/reset", params={"tenant": "maast-demo-key"})
    assert narrowed.json()["tenants_removed"] == 1
    assert "EXTRA" not in numbers(demo_http, DEMO) and len(numbers(demo_http, DEMO)) == 4
    assert numbers(demo_http, OTHER) == ["EXTRA"]  # another tenant keeps its data
    assert demo_http.get("/_sandbox/clock").json() == {"now": "2030-01-01T00:00:00.000Z",
                                                       "frozen": True}

    by_provider = demo_http.post("/_sandbox/reset", params={"provider": "maast"})
    assert by_provider.json()["tenants_removed"] == 2
    assert numbers(demo_http, OTHER) == []  # a new, empty tenant for that key
    assert len(numbers(demo_http, DEMO)) == 4


def test_reset_of_an_unknown_provider_is_refused(demo_http: TestClient) -> None:
    response = demo_http.post("/_sandbox/reset", params={"provider": "stripe"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_provider"
    assert len(numbers(demo_http, DEMO)) == 4


def test_the_clock_endpoint(client: TestClient) -> None:
    assert set(client.get("/_sandbox/clock").json()) == {"now", "frozen"}
    frozen = clock(client, {"set": "2026-03-02T10:30:00Z", "freeze": True})
    assert frozen.json() == {"now": "2026-03-02T10:30:00.000Z", "frozen": True}
    assert clock(client, {"advance": 86400}).json()["now"] == "2026-03-03T10:30:00.000Z"
    assert clock(client, {"set": "2026-03-05T12:00:00+02:00"}).json()["now"] == (
        "2026-03-05T10:00:00.000Z")
    assert clock(client, {"advance": 0.25}).json()["now"] == "2026-03-05T10:00:00.250Z"
    assert client.get("/_sandbox/clock").json() == {"now": "2026-03-05T10:00:00.250Z",
                                                    "frozen": True}
    running = clock(client, {"freeze": False}).json()
    assert running["frozen"] is False and running["now"] >= "2026-03-05T10:00:00.250Z"
    # The provider edges read this clock: a new Maast invoice is dated by it.
    clock(client, {"set": "2027-07-04T08:00:00Z", "freeze": True})
    created = client.post("/platform/invoice", headers=DEMO, json={
        **INVOICE, "save_customer": True,
        "billing_contact": {"first_name": "A", "last_name": "B", "email_address": "a@b"}})
    data = created.json()["data"]
    assert (data["date_invoice"], data["db_timestamp"]) == (
        "2027-07-04", "2027-07-04T08:00:00.000+0000")


BAD_CLOCK_CHANGES: list[tuple[Any, bytes | None]] = [
    (None, b"{"),
    (None, b"[1]"),
    (None, b'{"advance": NaN}'),
    (None, b'{"advance": Infinity}'),
    (None, b'{"advance": 1' + b"0" * 400 + b"}"),
    ({"advance": -1}, None),
    ({"advance": "60"}, None),
    ({"advance": True}, None),
    ({"advance": 1e300}, None),
    ({"freeze": "yes"}, None),
    ({"set": "tomorrow"}, None),
    ({"set": 5}, None),
    ({"set": "2026-03-02T10:30:00"}, None),
    ({"set": "9999-12-31T23:59:59Z"}, None),
    ({"set": "2026-03-04T10:30:00Z", "advance": -5, "freeze": False}, None),
    ({"rewind": 10}, None),
]


def test_bad_clock_changes_are_400_and_change_nothing(client: TestClient) -> None:
    clock(client, {"set": "2026-03-02T10:30:00Z", "freeze": True})
    for body, raw in BAD_CLOCK_CHANGES:
        response = clock(client, body, raw)
        assert response.status_code == 400, (body, raw, response.text)
        error = response.json()["error"]
        assert error["code"] in ("invalid_clock", "invalid_json") and error["message"]
        assert client.get("/_sandbox/clock").json() == {"now": "2026-03-02T10:30:00.000Z",
                                                        "frozen": True}, (body, raw)


def test_deliveries_and_the_control_plane_schema(client: TestClient) -> None:
    assert client.get("/_sandbox/deliveries").json() == {"deliveries": [], "next_since": None}
    schema = client.get("/_sandbox/openapi.json")
    assert schema.status_code == 200
    assert "/_sandbox/clock" in schema.json()["paths"]


def test_control_plane_errors_have_its_own_shape(client: TestClient) -> None:
    for method, path in [("GET", "/_sandbox/nothing"), ("DELETE", "/_sandbox/health"),
                         ("GET", "/nowhere")]:
        response = client.request(method, path)
        assert response.status_code in (404, 405)
        assert set(response.json()) == {"error"}, response.text
