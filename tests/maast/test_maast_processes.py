"""Two `serve` processes on one database (a SQLite file, or PostgreSQL with
INVOICE_SANDBOX_TEST_PG): payments sent to both at once never overpay, and what each process
shows adds up, through the hosted checkout and through the API."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
from maast_support import Maast, card_pay, invoice_body

PAYMENTS = 32
AMOUNTS = [Decimal(3 + n % 5) for n in range(PAYMENTS)]  # 160.00 offered for 100.00


def cents(value: Any) -> int:
    return int(Decimal(str(value)) * 100)


def _two_servers(served: Callable[..., Any]) -> tuple[Any, Any]:
    first = served("--fixtures", "none")
    return first, served("--fixtures", "none", db=first.db)


def _invoice_of_100(api: Maast) -> tuple[int, str]:
    invoice = api.ok("POST", "/invoice", invoice_body(
        line_items=[{"quantity": 1, "unit_cost": 100}],
        checkout_settings={"allow_partial_payments": True}))
    api.send(invoice["invoice_id"])
    return invoice["invoice_id"], api.token(invoice["invoice_id"])


def _race(pay: Callable[[int], tuple[int, int | None]]) -> tuple[dict[int, Decimal], list[int]]:
    """Run every payment at once: the accepted ones as {payment_id: amount}, and which were
    refused."""
    start = threading.Barrier(PAYMENTS)

    def at_once(n: int) -> tuple[int, int | None]:
        start.wait()
        return pay(n)

    with ThreadPoolExecutor(PAYMENTS) as pool:
        results = list(pool.map(at_once, range(PAYMENTS)))
    return ({pid: AMOUNTS[n] for n, pid in results if pid is not None},
            [n for n, pid in results if pid is None])


def _check(apis: list[Maast], invoice_id: int, accepted: dict[int, Decimal],
           refused: list[int]) -> None:
    assert refused and sum(accepted.values()) <= 100
    for api in apis:  # both processes show the same, consistent invoice
        listed = api.payments(invoice_id)
        after = api.detail(invoice_id)
        assert {p["payment_id"]: Decimal(str(p["amt_paid"])) for p in listed} == accepted
        assert cents(after["amt_paid"]) == sum(cents(a) for a in accepted.values())
        assert cents(after["amt_paid"]) <= cents(after["amt_tran"]) == 10_000
        assert cents(after["amt_balance"]) == 10_000 - cents(after["amt_paid"])
        assert (after["status"] == "PAID") == (cents(after["amt_balance"]) == 0)
        # a refusal only ever meant "more than the balance then", and the balance only fell
        assert all(cents(AMOUNTS[n]) > cents(after["amt_balance"]) for n in refused)


def test_card_payments_through_two_processes_never_overpay(served: Callable[..., Any]) -> None:
    servers = _two_servers(served)
    with httpx.Client(base_url=servers[0].url, timeout=60) as a, \
            httpx.Client(base_url=servers[1].url, timeout=60) as b:
        apis = [Maast(a, key="processes-card"), Maast(b, key="processes-card")]
        invoice_id, token = _invoice_of_100(apis[0])

        def pay(n: int) -> tuple[int, int | None]:
            response = card_pay((a, b)[n % 2], token, amount=str(AMOUNTS[n]))
            if response.status_code != 200:
                assert response.status_code == 409, response.text  # more than the balance
                return n, None
            return n, int(response.json()["payment_id"])

        _check(apis, invoice_id, *_race(pay))


def test_api_payments_through_two_processes_never_overpay(served: Callable[..., Any]) -> None:
    servers = _two_servers(served)
    with httpx.Client(base_url=servers[0].url, timeout=60) as a, \
            httpx.Client(base_url=servers[1].url, timeout=60) as b:
        apis = [Maast(a, key="processes-api"), Maast(b, key="processes-api")]
        invoice_id, _ = _invoice_of_100(apis[0])

        def pay(n: int) -> tuple[int, int | None]:
            response = apis[n % 2].call("POST", f"/invoice/{invoice_id}/payments",
                                        {"type": "CASH", "amt_paid": float(AMOUNTS[n]),
                                         "date_payment": "2026-03-01"})
            if response.status_code != 200:
                assert (response.status_code, response.json()["code"]) == (400, 2)
                return n, None
            return n, int(response.json()["data"]["payment_id"])

        _check(apis, invoice_id, *_race(pay))
