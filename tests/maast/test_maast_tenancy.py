"""Tenants come from the API key: open mode creates them, strict mode knows only the fixtures',
and one tenant never sees another's invoices. Also the bundled demo tenant's content."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from invoice_sandbox.settings import BUNDLED_FIXTURES
from maast_support import DEMO_KEY, Maast, basic_key, card_pay, freeze


def test_each_key_is_its_own_merchant(client: TestClient) -> None:
    freeze(client)
    alice, bob = Maast(client, key="alice-key"), Maast(client, key="bob-key")
    first = alice.create()
    second = bob.create()
    assert (first["merchant_id"], second["merchant_id"]) == (212000000001, 212000000002)
    assert (first["invoice_id"], second["invoice_id"]) == (1, 2)
    assert alice.detail(1)["merchant_id"] == 212000000001  # stable for the key


def test_another_key_never_sees_the_invoice(api: Maast) -> None:
    invoice = api.create()
    i = invoice["invoice_id"]
    api.send(i, {"email_address": ["bounce@example.com"]})
    api.pay(i, 5)
    mine = api.snapshot()
    other = Maast(api.http, key=api.key + "-intruder")
    assert other.snapshot() == ([], [])
    assert other.call("GET", "/invoice/bounced").json()["totalRecords"] == 0
    assert other.fail("GET", f"/invoice/{i}/detail")["data"] == {"invoice_id": "not found"}
    assert other.fail("GET", f"/invoice/{i}/payments")["data"] == {"invoice_id": "not found"}
    listed = other.ok("GET", "/invoice", params={"filter": f"invoice_id,EQ,{i}"})
    assert listed == []
    assert api.snapshot() == mine


def test_the_checkout_link_works_without_credentials_for_any_tenant(api: Maast) -> None:
    i = api.create()["invoice_id"]
    api.send(i)
    assert card_pay(api.http, api.token(i)).status_code == 200
    assert api.detail(i)["status"] == "PAID"


def test_strict_mode_knows_only_fixture_keys(make_client: Callable[..., TestClient]) -> None:
    http = make_client(auth="strict", fixtures=BUNDLED_FIXTURES)
    demo = Maast(http, key=DEMO_KEY)
    assert len(demo.ok("GET", "/invoice")) == 4
    stranger = Maast(http, key="not-in-the-fixtures")
    before = demo.snapshot()
    for method, path in [("GET", "/invoice"), ("GET", "/invoice/1/detail"),
                         ("POST", "/invoice")]:
        response = stranger.call(method, path, {"customer_id": "X", "invoice_number": "Y"}
                                 if method == "POST" else None)
        assert (response.status_code, response.json()["code"]) == (401, 11)
    assert demo.snapshot() == before
    health = http.get("/_sandbox/health").json()
    assert health["auth"] == "strict"
    # nothing was created for the stranger: a new key in open mode would have made a tenant
    assert stranger.call("GET", "/invoice").status_code == 401


def test_strict_mode_without_fixtures_refuses_everyone(
        make_client: Callable[..., TestClient]) -> None:
    http = make_client(auth="strict")
    response = Maast(http, key=DEMO_KEY).call("GET", "/invoice")
    assert (response.status_code, response.json()["code"]) == (401, 11)


def test_the_demo_tenant(demo: Maast) -> None:
    rows = {r["invoice_number"]: r for r in demo.ok("GET", "/invoice")}
    assert {n: (r["status"], r["amt_tran"], r["amt_paid"], r["amt_balance"])
            for n, r in rows.items()} == {
        "DEMO-1001": ("SAVED", 15.25, 0, 15.25),
        "DEMO-1002": ("OUTSTANDING", 1295.5, 500, 795.5),
        "DEMO-1003": ("PAID", 1296, 1296, 0),
        "DEMO-1004": ("CANCELED", 12.75, 0, 12.75),
    }
    assert all(r["merchant_id"] == 212000000001 for r in rows.values())
    assert rows["DEMO-1002"]["date_due"] == "2026-01-25"
    assert rows["DEMO-1002"]["checkout_settings"]["allow_partial_payments"] is True
    paid = demo.payments(rows["DEMO-1003"]["invoice_id"])
    assert [(p["type"], p["amt_paid"], p["tran_status"], len(p["pg_id"])) for p in paid] == [
        ("CARD", 1296, "A", 32)]
    check = demo.payments(rows["DEMO-1002"]["invoice_id"])
    assert [(p["type"], p["amt_paid"], p["description"]) for p in check] == [
        ("CHECK", 500, "check #1042")]
    # The vault holds the fixture customers.
    data = demo.ok("POST", "/invoice", {"customer_id": "ACME", "invoice_number": "NEW-1"})
    assert data["status"] == "SAVED"


def test_the_demo_checkout_accepts_a_partial_card_payment(demo: Maast) -> None:
    outstanding = demo.ok("GET", "/invoice", params={"filter": "status,EQ,OUTSTANDING"})[0]
    token = outstanding["invoice_link"].rsplit("/", 1)[1]
    paid = card_pay(demo.http, token, amount="95.50")
    assert paid.status_code == 200 and paid.json()["balance"] == "700.00"
    assert demo.detail(outstanding["invoice_id"])["amt_balance"] == 700


def test_resetting_one_tenant_restores_its_fixtures_and_leaves_others(demo: Maast) -> None:
    other = Maast(demo.http, key="someone-else")
    mine = other.create()
    first = demo.ok("GET", "/invoice", params={"filter": "invoice_number,EQ,DEMO-1001"})[0]
    demo.pay(first["invoice_id"], 15.25)
    response = demo.http.post("/_sandbox/reset", params={"provider": "maast", "tenant": DEMO_KEY})
    assert response.status_code == 200, response.text
    rows = demo.ok("GET", "/invoice", params={"filter": "invoice_number,EQ,DEMO-1001"})
    assert [(r["status"], r["amt_paid"]) for r in rows] == [("SAVED", 0)]
    assert other.detail(mine["invoice_id"]) == mine


def test_the_demo_key_in_a_header_built_by_hand(demo: Maast) -> None:
    response = demo.http.get("/platform/invoice", headers=basic_key(DEMO_KEY))
    assert response.status_code == 200 and response.json()["totalRecords"] == 4
