"""Every piece of sandbox state is shared by the processes serving one database: the clock, the
request journal, fault rules, Harvest's throttle and the credential -> tenant caches."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from multiprocess_support import Pair

from tests.conftest import ServedSandbox

INVOICE = {"customer_id": "C1", "invoice_number": "N1", "save_customer": True,
           "billing_contact": {"first_name": "A", "last_name": "B", "email_address": "a@b.c"},
           "line_items": [{"quantity": 1, "unit_cost": 10}]}


def maast(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f":{key}".encode()).decode()}


def clock(http: httpx.Client, **change: Any) -> dict[str, Any]:
    response = http.post("/_sandbox/clock", json=change) if change else http.get(
        "/_sandbox/clock")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_clock_is_one_clock(pair: Pair) -> None:
    a, b = pair.both()
    clock(a, set="2030-05-01T12:00:00Z", freeze=True)
    assert clock(b) == {"now": "2030-05-01T12:00:00.000Z", "frozen": True}
    clock(b, advance=86400)
    assert clock(a) == {"now": "2030-05-02T12:00:00.000Z", "frozen": True}
    created = b.post("/platform/invoice", json=INVOICE, headers=maast("clock-key-1"))
    assert created.status_code == 200, created.text
    detail = a.get(f"/platform/invoice/{created.json()['data']['invoice_id']}/detail",
                   headers=maast("clock-key-1")).json()["data"]
    assert detail["date_invoice"] == "2030-05-02"  # written through B on the shared clock
    assert detail["db_timestamp"] == "2030-05-02T12:00:00.000+0000"
    clock(a, freeze=False)
    running = datetime.fromisoformat(clock(b)["now"].replace("Z", "+00:00"))
    assert clock(b)["frozen"] is False and running >= datetime(2030, 5, 2, 12, tzinfo=UTC)
    assert a.post("/_sandbox/reset").status_code == 200
    after = clock(b)
    assert after["frozen"] is False
    assert abs(datetime.fromisoformat(after["now"].replace("Z", "+00:00"))
               - datetime.now(UTC)) < timedelta(hours=1)


def test_the_journal_is_one_journal(pair: Pair) -> None:
    for number in range(6):
        http = pair.a if number % 2 == 0 else pair.b
        http.get(f"/platform/invoice/{number}/detail", headers=maast("journal-key-1"))
    listings = [http.get("/_sandbox/requests").json() for http in pair.both()]
    assert listings[0] == listings[1]
    entries = listings[0]["requests"]
    assert [e["path"] for e in entries] == [f"/platform/invoice/{n}/detail"
                                            for n in reversed(range(6))]
    # Ids are unique across processes; they number entries as stored, which each process does
    # in batches a few milliseconds late, so the listing's order is the answers' own.
    assert len({e["id"] for e in entries}) == 6
    assert "journal-key-1" not in str(listings[0])
    assert pair.b.delete("/_sandbox/requests").json() == {"deleted": 6}
    assert pair.a.get("/_sandbox/requests").json()["total"] == 0


def test_a_times_two_rule_fires_exactly_twice_across_processes(pair: Pair) -> None:
    headers = maast("faults-key-1")
    assert pair.a.get("/platform/invoice", headers=headers).status_code == 200
    rule = pair.a.post("/_sandbox/faults", json={"provider": "maast", "action": "error",
                                                 "times": 2})
    assert rule.status_code == 201
    statuses = [(pair.b if n % 2 == 0 else pair.a).get("/platform/invoice",
                                                       headers=headers).status_code
                for n in range(6)]
    assert statuses == [500, 500, 200, 200, 200, 200]
    listed = pair.b.get(f"/_sandbox/faults/{rule.json()['id']}").json()
    assert (listed["remaining"], listed["hits"]) == (0, 2)


def test_harvest_throttle_trips_at_call_101_with_calls_alternating(pair: Pair) -> None:
    headers = {"Authorization": "Basic " + base64.b64encode(b"busy@example.com:pw").decode(),
               "Accept": "application/json"}
    for http in pair.both():
        clock(http, set="2030-01-01T00:00:00Z", freeze=True)
    statuses = [(pair.a if n % 2 == 0 else pair.b).get("/invoices", headers=headers).status_code
                for n in range(101)]
    assert statuses == [200] * 100 + [503]
    status = pair.a.get("/account/rate_limit_status.json", headers=headers)
    assert status.status_code == 503  # still locked out, counted on both processes
    assert pair.b.post("/_sandbox/reset").status_code == 200
    assert pair.a.get("/invoices", headers=headers).status_code == 200  # the reset cleared it


def _numbers(http: httpx.Client, key: str) -> list[str]:
    listing = http.get("/platform/invoice", headers=maast(key))
    assert listing.status_code == 200, listing.text
    return sorted(row["invoice_number"] for row in listing.json()["data"])


def test_after_a_reset_no_process_maps_a_key_to_another_tenant(pair: Pair) -> None:
    created = pair.b.post("/platform/invoice", json={**INVOICE, "invoice_number": "OLD"},
                          headers=maast("first-key-1"))
    assert created.status_code == 200  # B has cached first-key-1's tenant
    assert pair.a.post("/_sandbox/reset").status_code == 200
    # A new key through A takes the next tenant row (on SQLite, the id the old one had).
    assert pair.a.post("/platform/invoice", json={**INVOICE, "invoice_number": "SECOND"},
                       headers=maast("second-key-2")).status_code == 200
    assert _numbers(pair.b, "first-key-1") == []  # a new tenant, not second-key-2's
    assert pair.b.post("/platform/invoice", json={**INVOICE, "invoice_number": "FIRST"},
                       headers=maast("first-key-1")).status_code == 200
    for http in pair.both():
        assert _numbers(http, "first-key-1") == ["FIRST"]
        assert _numbers(http, "second-key-2") == ["SECOND"]


def test_the_clock_survives_a_restart(start_process: Callable[..., ServedSandbox]) -> None:
    first = start_process()
    httpx.post(f"{first.url}/_sandbox/reset", timeout=30)
    httpx.post(f"{first.url}/_sandbox/clock", json={"set": "2031-02-03T04:05:06Z",
                                                    "freeze": True}, timeout=30)
    first.stop()
    again = start_process()
    assert httpx.get(f"{again.url}/_sandbox/clock", timeout=30).json() == {
        "now": "2031-02-03T04:05:06.000Z", "frozen": True}
