"""Snapshots: export, change or reset, import, and every provider answers as before the export."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient


def basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode()


MAAST = {"Authorization": basic(b":maast-demo-key")}
HARVEST = {"Authorization": basic(b"owner@demo.example:harvest-demo"),
           "Accept": "application/json"}
PAYONE_SERVICE = "/URL2PayAdminWeb/rest/InvoicesService/"
PAYONE_MERCHANT = {"merchantID": "demoMerchant",
                   "authenticationToken": "ZGVtby1zbWFydGxpbmstdG9rZW4tMDAx"}
T1_BILLING = "/tms/api/v1/billing"
FROZEN_AT = "2026-03-02T10:30:00Z"


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def payone(http: TestClient, operation: str, field: str, document: dict[str, Any]) -> Any:
    body = urlencode({field: json.dumps({**PAYONE_MERCHANT, **document})})
    return ok(http.post(PAYONE_SERVICE + operation, content=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded"}))


def t1_headers(http: TestClient) -> dict[str, str]:
    token = ok(http.post("/core/api/v1/aaa/auth/client-credentials",
                         json={"clientId": "tms-demo-client", "clientSecret": "tms-demo-secret"},
                         headers={"x-coreos-tid": "tms-demo"}))["data"]["accessToken"]
    return {"x-coreos-access": token, "x-coreos-tid": "tms-demo"}


# --- what each provider's client sees, and a change to it ------------------------------------

def maast_view(http: TestClient) -> Any:
    listing = ok(http.get("/platform/invoice", params={"count": 100}, headers=MAAST))
    ids = [row["invoice_id"] for row in listing["data"]]
    return listing, [ok(http.get(f"/platform/invoice/{i}/detail", headers=MAAST)) for i in ids]


def maast_change(http: TestClient) -> None:
    ok(http.post("/platform/invoice", headers=MAAST, json={
        "customer_id": "JOHNDOE", "invoice_number": "SNAP-1", "date_invoice": "2026-02-01",
        "payment_terms": {"type": "DAYS", "value": "10"},
        "line_items": [{"quantity": 2, "description": "Paper", "unit_cost": 3.5}]}))


def payone_view(http: TestClient) -> Any:
    return [payone(http, "inquireInvoice", "invoice", {"invoiceID": f"DEMO-100{n}"})
            for n in range(1, 5)]


def payone_change(http: TestClient) -> None:
    link = payone(http, "inquireInvoice", "invoice", {"invoiceID": "DEMO-1001"})
    token = next(v for k, v in link.items() if k.lower() == "paymentlink").rsplit("/", 1)[1]
    ok(http.post(f"/_sandbox/checkout/{token}/pay", json={}))


def harvest_view(http: TestClient) -> Any:
    listing = ok(http.get("/invoices", headers=HARVEST))
    ids = [row["invoices"]["id"] for row in listing]
    return listing, [ok(http.get(f"/invoices/{i}/payments", headers=HARVEST)) for i in ids]


def harvest_change(http: TestClient) -> None:
    ids = [row["invoices"]["id"] for row in ok(http.get("/invoices", headers=HARVEST))]
    assert http.delete(f"/invoices/{ids[0]}", headers=HARVEST).status_code == 200


def transportone_view(http: TestClient) -> Any:
    headers = t1_headers(http)
    listing = ok(http.get(f"{T1_BILLING}/shipper/invoice", params={"size": 100},
                          headers=headers))
    return listing, ok(http.get(f"{T1_BILLING}/shipper/charge", params={"size": 100},
                                headers=headers))


def transportone_change(http: TestClient) -> None:
    ok(http.post(f"{T1_BILLING}/transporter/cancel-invoice", headers=t1_headers(http),
                 json={"invoiceId": "INV-20241201-001", "cancellationReason": "snapshot test"}))


View = Callable[[TestClient], Any]
PROVIDERS: dict[str, tuple[View, Callable[[TestClient], None]]] = {
    "maast": (maast_view, maast_change),
    "payone": (payone_view, payone_change),
    "harvest": (harvest_view, harvest_change),
    "transportone": (transportone_view, transportone_change),
}


def freeze(http: TestClient) -> None:
    ok(http.post("/_sandbox/clock", json={"freeze": True, "set": FROZEN_AT}))


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_a_restored_snapshot_answers_as_the_exported_state(
        demo_client: TestClient, provider: str) -> None:
    view, change = PROVIDERS[provider]
    freeze(demo_client)
    change(demo_client)  # a state the fixtures do not make
    before = view(demo_client)
    snapshot = ok(demo_client.get("/_sandbox/snapshot"))

    ok(demo_client.post("/_sandbox/reset"))
    freeze(demo_client)
    assert view(demo_client) != before
    restored = ok(demo_client.post("/_sandbox/snapshot", json=snapshot))

    assert restored["rows"]["tenants"] == len(snapshot["tables"]["tenants"]["rows"])
    assert ok(demo_client.get("/_sandbox/snapshot"))["tables"] == snapshot["tables"]
    assert view(demo_client) == before


def test_rows_made_after_a_restore_take_new_ids(demo_client: TestClient) -> None:
    snapshot = ok(demo_client.get("/_sandbox/snapshot"))
    largest = max(row[0] for row in snapshot["tables"]["invoices"]["rows"])
    ok(demo_client.post("/_sandbox/reset", params={"provider": "maast"}))
    ok(demo_client.post("/_sandbox/snapshot", json=snapshot))
    maast_change(demo_client)
    listing = ok(demo_client.get("/platform/invoice", params={"count": 100}, headers=MAAST))
    assert max(row["invoice_id"] for row in listing["data"]) == largest + 1


def test_binary_columns_travel(demo_client: TestClient) -> None:
    """An idempotency record keeps the answer's bytes: a repeat after the restore replays it."""
    headers = {**t1_headers(demo_client), "x-coreos-request-id": "snap-req-1"}
    body = {"invoiceId": "INV-20241201-001", "cancellationReason": "once"}
    first = demo_client.post(f"{T1_BILLING}/transporter/cancel-invoice", headers=headers,
                             json=body)
    assert first.status_code == 200, first.text
    snapshot = ok(demo_client.get("/_sandbox/snapshot"))
    assert snapshot["tables"]["idempotency_records"]["rows"]
    ok(demo_client.post("/_sandbox/reset"))
    ok(demo_client.post("/_sandbox/snapshot", json=snapshot))

    headers = {**t1_headers(demo_client), "x-coreos-request-id": "snap-req-1"}
    replay = demo_client.post(f"{T1_BILLING}/transporter/cancel-invoice", headers=headers,
                              json=body)
    assert replay.headers.get("x-coreos-idempotent-replay") == "true"
    assert replay.content == first.content


def test_a_frozen_clock_is_restored_frozen(demo_client: TestClient) -> None:
    freeze(demo_client)
    snapshot = ok(demo_client.get("/_sandbox/snapshot"))
    ok(demo_client.post("/_sandbox/reset"))
    assert ok(demo_client.get("/_sandbox/clock"))["frozen"] is False

    ok(demo_client.post("/_sandbox/snapshot", json=snapshot))
    assert ok(demo_client.get("/_sandbox/clock")) == {"now": "2026-03-02T10:30:00.000Z",
                                                      "frozen": True}


def test_a_provider_snapshot_restores_that_provider_only(demo_client: TestClient) -> None:
    freeze(demo_client)
    payone_before = payone_view(demo_client)
    snapshot = ok(demo_client.get("/_sandbox/snapshot", params={"provider": "payone"}))
    assert snapshot["scope"] == {"provider": "payone", "tenant": None}
    assert snapshot["clock"] is None
    assert [row[1] for row in snapshot["tables"]["tenants"]["rows"]] == ["payone"]

    payone_change(demo_client)
    maast_change(demo_client)
    maast_after = maast_view(demo_client)
    ok(demo_client.post("/_sandbox/snapshot", json=snapshot))

    assert payone_view(demo_client) == payone_before
    assert maast_view(demo_client) == maast_after


def test_a_tenant_snapshot_holds_that_tenant_only(demo_client: TestClient) -> None:
    snapshot = ok(demo_client.get("/_sandbox/snapshot", params={"tenant": "tms-demo"}))
    tenants = snapshot["tables"]["tenants"]
    key = tenants["columns"].index("key")
    assert [row[key] for row in tenants["rows"]] == ["tms-demo"]
    tenant_id = tenants["rows"][0][0]
    for name, table in snapshot["tables"].items():
        if "tenant_id" in table["columns"]:
            column = table["columns"].index("tenant_id")
            assert {row[column] for row in table["rows"]} <= {tenant_id}, name


def refused(http: TestClient, document: Any, status: int, code: str) -> str:
    before = ok(http.get("/_sandbox/snapshot"))
    response = http.post("/_sandbox/snapshot", json=document)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert ok(http.get("/_sandbox/snapshot"))["tables"] == before["tables"]
    return str(error["message"])


def test_a_snapshot_of_another_version_is_refused_with_its_reason(
        demo_client: TestClient) -> None:
    snapshot = ok(demo_client.get("/_sandbox/snapshot"))
    older = refused(demo_client, {**snapshot, "version": 0}, 400, "snapshot_version")
    assert "older" in older and "export it again" in older
    newer = refused(demo_client, {**snapshot, "version": 99}, 400, "snapshot_version")
    assert "newer" in newer and "upgrade" in newer
    unknown = refused(demo_client, {**snapshot, "tables": {**snapshot["tables"],
                                                           "gadgets": {"columns": [],
                                                                       "rows": []}}},
                      400, "snapshot_schema")
    assert "gadgets" in unknown
    tenants = snapshot["tables"]["tenants"]
    extra = {"columns": [*tenants["columns"], "colour"],
             "rows": [[*row, "red"] for row in tenants["rows"]]}
    assert "colour" in refused(demo_client, {**snapshot, "tables": {**snapshot["tables"],
                                                                    "tenants": extra}},
                               400, "snapshot_schema")


def test_malformed_snapshots_are_refused(demo_client: TestClient) -> None:
    snapshot = ok(demo_client.get("/_sandbox/snapshot"))
    refused(demo_client, {"tables": {}}, 400, "invalid_snapshot")
    refused(demo_client, [1, 2], 400, "invalid_snapshot")
    short = {"columns": snapshot["tables"]["tenants"]["columns"], "rows": [[1]]}
    refused(demo_client, {**snapshot, "tables": {"tenants": short}}, 400, "invalid_snapshot")
    response = demo_client.post("/_sandbox/snapshot", content=b"{not json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
    outside = {**snapshot, "scope": {"provider": "maast", "tenant": None}}
    refused(demo_client, outside, 400, "invalid_snapshot")  # holds other providers' tenants


def test_rows_that_clash_with_the_database_restore_nothing(demo_client: TestClient) -> None:
    """A PayOne snapshot whose tenant id is another provider's tenant's: all or nothing."""
    snapshot = ok(demo_client.get("/_sandbox/snapshot", params={"provider": "payone"}))
    tenants = ok(demo_client.get("/_sandbox/snapshot"))["tables"]["tenants"]["rows"]
    other = next(row for row in tenants if row[1] != "payone")
    table = snapshot["tables"]["tenants"]
    clash = {**snapshot, "tables": {**snapshot["tables"], "tenants": {
        "columns": table["columns"], "rows": [[other[0], *row[1:]] for row in table["rows"]]}}}
    refused(demo_client, clash, 409, "snapshot_conflict")


def test_unknown_provider_is_refused(demo_client: TestClient) -> None:
    response = demo_client.get("/_sandbox/snapshot", params={"provider": "stripe"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_provider"
