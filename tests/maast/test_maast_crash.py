"""Writes the sandbox acknowledged before a `kill -9` are all there after a restart on the same
database file, including those acknowledged while other writes were still in flight."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
from maast_support import Maast, basic_key, invoice_body

WRITERS = 4


def cents(value: Any) -> int:
    return int(Decimal(str(value)) * 100)


def token(invoice: dict[str, Any]) -> str | None:
    link = invoice.get("invoice_link")
    return None if link is None else str(link).rsplit("/", 1)[1]


def test_acknowledged_writes_survive_kill_9(served: Callable[..., Any]) -> None:
    server = served("--fixtures", "none")
    acknowledged: dict[int, dict[str, Any]] = {}  # invoice_id -> detail as last acknowledged
    payments: dict[int, int] = {}  # payment_id -> invoice_id
    with httpx.Client(base_url=server.url, timeout=30) as http:
        api = Maast(http, key="crash-key")
        for n in range(12):
            i = api.ok("POST", "/invoice", invoice_body(
                invoice_number=f"C-{n}", line_items=[{"quantity": 1, "unit_cost": 1000}]))[
                "invoice_id"]
            if n % 2:
                api.send(i)
            for k in range(n % 3):
                payments[api.pay(i, 10 + k)["payment_id"]] = i
            acknowledged[i] = api.detail(i)

        # Writers keep paying while the process is killed under them.
        lock = threading.Lock()
        in_flight_ok: dict[int, int] = {}
        enough = threading.Event()
        ids = sorted(acknowledged)

        def writer(w: int) -> None:
            headers = {"content-type": "application/json", **basic_key("crash-key")}
            body = b'{"type": "CASH", "amt_paid": 0.01, "date_payment": "2026-03-01"}'
            with httpx.Client(base_url=server.url, timeout=10) as own:
                n = 0
                while True:
                    i = ids[(w + n) % len(ids)]
                    n += 1
                    try:
                        response = own.post(f"/platform/invoice/{i}/payments", content=body,
                                            headers=headers)
                    except httpx.HTTPError:
                        return  # the server is gone
                    if response.status_code == 200:
                        with lock:
                            in_flight_ok[response.json()["data"]["payment_id"]] = i
                            if len(in_flight_ok) >= 40:
                                enough.set()

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
        for thread in threads:
            thread.start()
        assert enough.wait(60), "the writers got no payments through"
        server.kill()
        for thread in threads:
            thread.join(30)

    restarted = served(db=server.db)
    with httpx.Client(base_url=restarted.url, timeout=30) as http:
        api = Maast(http, key="crash-key")
        invoices, listed = api.snapshot()
        by_id = {row["invoice_id"]: row for row in invoices}
        assert sorted(by_id) == sorted(acknowledged)
        listed_ids = {p["payment_id"]: p["invoice_id"] for p in listed}
        for payment_id, invoice_id in {**payments, **in_flight_ok}.items():
            assert listed_ids.get(payment_id) == invoice_id, payment_id
        for i, before in acknowledged.items():
            row = by_id[i]
            # Everything but the money from the racing writers is as it was acknowledged.
            same = ("invoice_number", "status", "amt_tran", "date_sent")
            assert {k: row.get(k) for k in same} == {k: before.get(k) for k in same}
            # same checkout token (the link's host is the new server's)
            assert token(row) == token(before)
            paid = sum(cents(p["amt_paid"]) for p in listed if p["invoice_id"] == i)
            assert cents(row["amt_paid"]) == paid >= cents(before["amt_paid"])
            assert cents(row["amt_balance"]) == cents(row["amt_tran"]) - paid
        # The restarted sandbox keeps working on the same data.
        first = min(acknowledged)
        assert api.pay(first, 1)["invoice_id"] == first

