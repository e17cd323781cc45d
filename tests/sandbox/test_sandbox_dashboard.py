"""The dashboard's read API over plain HTTP: tenants, invoices (filters, sorting, paging), one
invoice as its provider renders it, the overview, and the journal's event stream."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import ServedSandbox, basic

MAAST = basic("", "maast-demo-key")
HARVEST = {**basic("owner@demo.example", "harvest-demo"), "Host": "demo.localhost"}


def listing(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/_sandbox/invoices", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_tenants_carry_credentials_that_work_and_counts_by_status(
        demo_client: TestClient) -> None:
    tenants = demo_client.get("/_sandbox/tenants").json()["tenants"]
    assert sorted(t["provider"] for t in tenants) == ["harvest", "maast", "payone",
                                                      "transportone"]
    maast = next(t for t in tenants if t["provider"] == "maast")
    assert maast["key"] == "maast-demo-key"
    assert maast["access"]["curl"] == "curl -u ':maast-demo-key' http://testserver/platform/invoice"
    # The header shown works against the provider API, and the counts match what it lists.
    listed = demo_client.get("/platform/invoice",
                             headers={"Authorization": maast["access"]["Authorization"]})
    assert listed.status_code == 200
    assert maast["invoice_count"] == listed.json()["totalRecords"] == sum(
        maast["invoices"].values())
    only = demo_client.get("/_sandbox/tenants", params={"provider": "payone"}).json()
    assert [t["key"] for t in only["tenants"]] == ["demoMerchant"]


def test_invoices_page_through_every_provider_without_overlap(demo_client: TestClient) -> None:
    first = listing(demo_client, per_page=10)
    total = first["total"]
    assert total > 20 and first["pages"] == -(-total // 10) and len(first["invoices"]) == 10
    seen = [i["id"] for page in range(1, first["pages"] + 1)
            for i in listing(demo_client, per_page=10, page=page)["invoices"]]
    assert len(seen) == len(set(seen)) == total
    assert {i["provider"] for i in listing(demo_client, per_page=200)["invoices"]} == {
        "maast", "payone", "harvest", "transportone"}
    beyond = listing(demo_client, per_page=10, page=first["pages"] + 1)
    assert beyond["invoices"] == [] and beyond["total"] == total


def test_filters_search_and_sort(demo_client: TestClient) -> None:
    payone = listing(demo_client, provider="payone", per_page=200)["invoices"]
    assert payone and all(i["provider"] == "payone" and i["tenant"] == "demoMerchant"
                          for i in payone)
    assert listing(demo_client, tenant="nobody")["total"] == 0
    paid = listing(demo_client, status="paid", per_page=200)["invoices"]  # any case
    assert paid and {i["status"].lower() for i in paid} == {"paid"}
    assert {i["provider"] for i in paid} == {"maast", "payone", "harvest", "transportone"}

    by_number = listing(demo_client, provider="maast", q="DEMO-1002")["invoices"]
    assert [i["number"] for i in by_number] == ["DEMO-1002"]
    one = by_number[0]
    assert (one["total"], one["paid"], one["balance"], one["currency_label"]) == (
        "1295.50", "500.00", "795.50", "USD")
    assert one["checkout_url"].startswith("http://")
    assert str(one["id"]) in {str(i["id"]) for i in listing(demo_client, q=str(one["id"]))[
        "invoices"]}
    assert listing(demo_client, q="%")["total"] == 0  # a wildcard is just a character

    ascending = [Decimal(i["total"]) for i in listing(
        demo_client, provider="harvest", sort="amount", per_page=200)["invoices"]]
    assert ascending == sorted(ascending) and len(ascending) > 1
    descending = [Decimal(i["total"]) for i in listing(
        demo_client, provider="harvest", sort="-amount", per_page=200)["invoices"]]
    assert descending == sorted(descending, reverse=True)


@pytest.mark.parametrize("params", [
    {"page": "0"}, {"page": "x"}, {"per_page": "0"}, {"per_page": "201"}, {"sort": "colour"},
    {"provider": "stripe"}, {"changed_since": "yesterday"},
    {"changed_since": "2026-01-01T00:00:00"},
])
def test_bad_parameters_are_400_in_the_control_plane_shape(client: TestClient,
                                                           params: dict[str, str]) -> None:
    response = client.get("/_sandbox/invoices", params=params)
    assert response.status_code == 400, response.text
    assert set(response.json()["error"]) == {"code", "message"}


@pytest.mark.parametrize("path", ["maast/999999", "stripe/1", "maast/abc", "maast/-1"])
def test_unknown_invoice_is_404(demo_client: TestClient, path: str) -> None:
    response = demo_client.get(f"/_sandbox/invoices/{path}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_invoice_as_its_provider_api_returns_it(demo_client: TestClient) -> None:
    maast = listing(demo_client, provider="maast", q="DEMO-1002")["invoices"][0]
    detail = demo_client.get(f"/_sandbox/invoices/maast/{maast['id']}").json()
    api = demo_client.get(f"/platform/invoice/{maast['id']}/detail", headers=MAAST)
    assert detail["raw"] == {"media_type": "application/json", "text": api.text}
    assert [(line["description"], line["amount"]) for line in detail["lines"]] == [
        ("Consulting hour", "1200.00"), ("Travel", "95.50")]
    assert [(p["method"], p["amount"]) for p in detail["payments"]] == [("CHECK", "500.00")]
    assert {"created", "sent"} <= {e["event"] for e in detail["events"]}
    assert detail["payable"] is True and detail["not_payable_reason"] is None
    assert {c["outcome"] for c in detail["test_cards"]} == {
        "approved", "card_declined", "insufficient_funds", "expired_card", "processing_error"}

    harvest = listing(demo_client, provider="harvest", per_page=1)["invoices"][0]
    shown = demo_client.get(f"/_sandbox/invoices/harvest/{harvest['id']}").json()
    xml = demo_client.get(f"/invoices/{harvest['id']}", headers=HARVEST)
    assert shown["raw"]["text"] == xml.text and shown["raw"]["text"].startswith("<?xml")
    assert shown["payable"] is False and "no hosted checkout" in shown["not_payable_reason"]


def test_transportone_invoices_offer_their_control_plane_moves(demo_client: TestClient) -> None:
    submitted = listing(demo_client, provider="transportone", status="SUBMITTED")["invoices"][0]
    detail = demo_client.get(f"/_sandbox/invoices/transportone/{submitted['id']}").json()
    assert [m["label"] for m in detail["moves"]] == ["Approve", "Reject"]
    approve = detail["moves"][0]
    moved = demo_client.request(approve["method"], approve["path"])
    assert moved.status_code == 200, moved.text
    after = demo_client.get(f"/_sandbox/invoices/transportone/{submitted['id']}").json()
    assert after["status"] == "APPROVED" and after["moves"] == []


def test_changed_since_lists_what_a_clock_move_expired(client: TestClient) -> None:
    before = client.post("/_sandbox/clock", json={"freeze": True}).json()["now"]
    form = {"invoices": json.dumps({
        "merchantID": "m1", "authenticationToken": "t1",
        "invoicesDetails": [{"invoiceID": "E-1", "amount": "100", "currency": "682",
                             "paymentDescription": "x", "expiryperiod": "1D",
                             "customerEmailAddress": "a@b.c"}]})}
    assert client.post("/URL2PayAdminWeb/rest/InvoicesService/createInvoice",
                       data=form).status_code == 200
    assert listing(client, status="EXPIRED", changed_since=before)["total"] == 0
    client.post("/_sandbox/clock", json={"advance": 2 * 86400})
    expired = listing(client, status="EXPIRED", changed_since=before)["invoices"]
    assert [i["ref"] for i in expired] == ["E-1"]


def test_overview_counts_and_the_dashboard_page(demo_client: TestClient) -> None:
    summary = demo_client.get("/_sandbox/overview").json()
    assert [p["name"] for p in summary["providers"]] == ["maast", "payone", "transportone",
                                                         "harvest"]
    total = sum(sum(p["invoices"].values()) for p in summary["providers"])
    assert total == listing(demo_client)["total"]
    assert set(summary["clock"]) == {"now", "frozen"}

    root = demo_client.get("/_sandbox/", follow_redirects=False)
    assert root.status_code == 307 and root.headers["location"] == "/_sandbox/ui"
    page = demo_client.get("/_sandbox/ui")
    assert page.status_code == 200 and "default-src 'self'" in page.headers[
        "content-security-policy"]
    assert demo_client.get("/_sandbox/ui/app.js").headers["content-type"].startswith(
        "text/javascript")
    assert demo_client.get("/_sandbox/ui/__init__.py").status_code == 404
    assert demo_client.get("/_sandbox/ui/..%2Fdashboard.py").status_code == 404


def test_the_read_api_is_in_the_control_plane_openapi(client: TestClient) -> None:
    paths = client.get("/_sandbox/openapi.json").json()["paths"]
    for path in ("/_sandbox/tenants", "/_sandbox/invoices",
                 "/_sandbox/invoices/{provider}/{invoice_id}", "/_sandbox/requests/stream",
                 "/_sandbox/overview"):
        assert "get" in paths[path], path
    ok = paths["/_sandbox/invoices"]["get"]["responses"]["200"]["content"]
    assert ok["application/json"]["schema"]["$ref"].endswith("/InvoicePage")


def test_the_journal_stream_sends_new_requests(served: Callable[..., ServedSandbox]) -> None:
    server = served("--fixtures", "none")
    with httpx.Client(base_url=server.url, timeout=10) as http, \
            http.stream("GET", "/_sandbox/requests/stream", params={"provider": "maast"}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines) == "retry: 1000"
        http.get("/invoices", headers=HARVEST)  # filtered out: another provider
        http.get("/platform/invoice", headers=basic("", "stream-key"))
        event: dict[str, str] = {}
        for line in lines:
            if not line:
                if event.get("event") == "request":
                    break
                continue
            name, _, value = line.partition(": ")
            event[name] = value
        entry = json.loads(event["data"])
        assert (entry["provider"], entry["method"], entry["path"]) == (
            "maast", "GET", "/platform/invoice")
        assert entry["request"]["headers"]["authorization"] == "Basic [redacted]"
        assert event["id"] == str(entry["id"])
