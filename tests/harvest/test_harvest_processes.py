"""Two `serve` processes on one database (a SQLite file, or PostgreSQL with
INVOICE_SANDBOX_TEST_PG): payments sent to both at once are all kept, and the invoice's
due-amount is its amount less all of them, as either process shows it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
from harvest_support import Harvest, invoice_xml, payment_xml

PAYMENTS = 24


def test_payments_through_two_processes_leave_the_due_amount_right(
        served: Callable[..., Any]) -> None:
    first = served("--fixtures", "none")
    second = served("--fixtures", "none", db=first.db)
    with httpx.Client(base_url=first.url, timeout=60) as a, \
            httpx.Client(base_url=second.url, timeout=60) as b:
        accounts = [Harvest(a), Harvest(b)]  # type: ignore[arg-type]  (httpx, not TestClient)
        invoice_id = accounts[0].create_invoice(
            invoice_xml(lines="Service,Work,1,100.00,,false,false,"))
        assert accounts[0].post(f"/invoices/{invoice_id}/messages/mark_as_sent"
                                ).status_code == 200
        start = threading.Barrier(PAYMENTS)

        def pay(n: int) -> int:
            start.wait()
            response = accounts[n % 2].post(f"/invoices/{invoice_id}/payments",
                                            payment_xml("3.00"))
            assert response.status_code == 201, response.text
            return int(response.headers["Location"].rsplit("/", 1)[1])

        with ThreadPoolExecutor(PAYMENTS) as pool:
            created = set(pool.map(pay, range(PAYMENTS)))

        assert len(created) == PAYMENTS
        for account in accounts:
            listed = account.get(f"/invoices/{invoice_id}/payments", fmt="json").json()
            assert {p["payment"]["id"] for p in listed} == created
            invoice = account.invoice(invoice_id)
            assert Decimal(str(invoice["due_amount"])) == Decimal("28.00")
            assert invoice["state"] == "partial"
