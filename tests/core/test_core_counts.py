"""The invoice counts the database keeps per tenant and status (`tables.InvoiceCount`) equal a
count of the invoices after every kind of change: creates, status changes (commands, payments,
expiry), deletes, resets and snapshot restores; and list totals read from them match."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from invoice_sandbox.core.db import Database
from invoice_sandbox.core.tables import Invoice, InvoiceCount
from invoice_sandbox.main import create_app
from invoice_sandbox.sandbox.dashboard import InvoicePage
from invoice_sandbox.settings import Settings
from sandbox_databases import TEST_PG, bare_db, run_script
from sqlalchemy import func, select

# A database made by the release before migrations (see test_core_migrations).
DUMP = (Path(__file__).resolve().parent / "data"
        / f"release-0.1.0.{'postgresql' if TEST_PG else 'sqlite'}.sql")

MAAST = {"Authorization": "Basic " + base64.b64encode(b":maast-demo-key").decode()}
HARVEST = {"Authorization": "Basic " + base64.b64encode(b"owner@demo.example:harvest-demo")
           .decode(), "Accept": "application/json"}
NEW_MAAST = {"customer_id": "JOHNDOE", "date_invoice": "2026-02-01",
             "payment_terms": {"type": "DAYS", "value": "10"},
             "line_items": [{"quantity": 2, "description": "Paper", "unit_cost": 3.5}]}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def counts_hold(http: TestClient) -> dict[tuple[int, str], int]:
    """The kept counts, after checking them against a count of the invoices."""
    db: Database = http.app.state.sandbox.db  # type: ignore[attr-defined]
    with db.read_sql() as conn:
        kept = {(t, s): n for t, s, n in conn.execute(
            select(InvoiceCount.tenant_id, InvoiceCount.status, InvoiceCount.invoices))}
        actual = {(t, s): n for t, s, n in conn.execute(
            select(Invoice.tenant_id, Invoice.status, func.count())
            .group_by(Invoice.tenant_id, Invoice.status))}
    assert all(n >= 0 for n in kept.values())
    assert {k: n for k, n in kept.items() if n} == actual
    return actual


def maast_totals(http: TestClient) -> None:
    """Maast's totalRecords, from the counts, equals the rows the filter lists."""
    for query in ("", "&filter=status,EQ,OUTSTANDING", "&filter=status,NE,DRAFT",
                  "&filter=status,IN,DRAFT,PAID", "&filter=status,EQ,outstanding"):
        listing = ok(http.get(f"/platform/invoice?count=100{query}", headers=MAAST))
        assert listing["totalRecords"] == len(listing["data"]), query


def dashboard_totals(http: TestClient) -> None:
    """The dashboard's totals, from the counts, equal the rows it lists; its page has exactly
    the shape its schema declares (it is serialised without the model)."""
    for params in ({}, {"provider": "maast"}, {"status": "outstanding"}, {"tenant": "demoMerchant"},
                   {"provider": "payone", "status": "NEW"}, {"q": "DEMO"}):
        page = ok(http.get("/_sandbox/invoices", params={**params, "per_page": 200}))
        assert page["total"] == len(page["invoices"]), params
        assert InvoicePage.model_validate(page).model_dump(mode="json") == page


def test_counts_follow_creates_status_changes_and_deletes(demo_client: TestClient) -> None:
    http = demo_client
    assert counts_hold(http)
    maast_totals(http)
    made = [ok(http.post("/platform/invoice", headers=MAAST, json={
        **NEW_MAAST, "invoice_number": f"COUNT-{i}"}))["data"]["invoice_id"] for i in range(3)]
    counts_hold(http)
    ok(http.post(f"/platform/invoice/{made[0]}/send", headers=MAAST, json={}))
    ok(http.post(f"/platform/invoice/{made[1]}/send", headers=MAAST, json={}))
    counts_hold(http)
    # a payment of the whole balance moves the invoice to PAID through the plain-row path
    ok(http.post(f"/platform/invoice/{made[0]}/payments", headers=MAAST,
                 json={"type": "CASH", "amt_paid": 7, "date_payment": "2026-02-02"}))
    assert ok(http.get(f"/platform/invoice/{made[0]}/detail", headers=MAAST)
              )["data"]["status"] == "PAID"
    ok(http.delete(f"/platform/invoice/{made[1]}/cancel", headers=MAAST))
    counts_hold(http)
    maast_totals(http)
    dashboard_totals(http)
    harvest = [row["invoices"]["id"] for row in ok(http.get("/invoices", headers=HARVEST))]
    assert http.delete(f"/invoices/{harvest[0]}", headers=HARVEST).status_code == 200
    counts_hold(http)


def test_counts_follow_expiry_by_the_clock(demo_client: TestClient) -> None:
    http = demo_client
    before = counts_hold(http)
    ok(http.post("/_sandbox/clock", json={"advance": 400 * 86400}))
    ok(http.get("/_sandbox/invoices", params={"provider": "payone"}))  # stores what expired
    after = counts_hold(http)
    def expired(counts: dict[tuple[int, str], int]) -> int:
        return sum(n for (_, status), n in counts.items() if status == "EXPIRED")

    assert expired(after) > expired(before)


@pytest.mark.parametrize("scope", [{}, {"provider": "maast"}, {"tenant": "maast-demo-key"}])
def test_counts_survive_resets_and_snapshot_restores(demo_client: TestClient,
                                                     scope: dict[str, str]) -> None:
    http = demo_client
    start = counts_hold(http)
    snapshot = ok(http.get("/_sandbox/snapshot", params=scope))
    for i in range(2):
        ok(http.post("/platform/invoice", headers=MAAST,
                     json={**NEW_MAAST, "invoice_number": f"SNAP-{i}"}))
    assert counts_hold(http) != start
    ok(http.post("/_sandbox/snapshot", json=snapshot))
    assert counts_hold(http) == start
    maast_totals(http)

    ok(http.post("/_sandbox/reset", params=scope))
    # the fixtures again (a narrowed reset gives the tenant a new id)
    assert sorted(counts_hold(http).values()) == sorted(start.values())
    maast_totals(http)
    dashboard_totals(http)
    ok(http.post("/platform/invoice", headers=MAAST,
                 json={**NEW_MAAST, "invoice_number": "AFTER-RESET"}))
    counts_hold(http)
    maast_totals(http)


def test_a_database_of_an_earlier_release_has_its_invoices_counted_on_upgrade(
        tmp_path: Path) -> None:
    location = bare_db(tmp_path / "old.sqlite")
    run_script(location, DUMP.read_text(encoding="utf-8"))
    with TestClient(create_app(Settings(db=location, fixtures=None))) as http:
        dumped = sum(counts_hold(http).values())
        assert dumped > 0
        made = http.post("/invoices", headers={**HARVEST, "Content-Type": "application/xml"},
                         content=b'<invoice><client-id type="integer">46066</client-id>'
                             b"<csv-line-items>kind,description,quantity,unit_price,amount,"
                                 b"taxed,taxed2,project_id\nService,Work,1,10.00,,false,"
                                 b"false,</csv-line-items></invoice>")
        assert made.status_code == 201, made.text
        assert sum(counts_hold(http).values()) == dumped + 1
        http.app.state.sandbox.db.dispose()  # type: ignore[attr-defined]
