"""Many clients paying one invoice at the same moment against a real served process: the sandbox
never overpays and never loses an acknowledged payment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
from maast_support import Maast, card_pay, invoice_body

THREADS = 40


def cents(value: Any) -> int:
    return int(Decimal(str(value)) * 100)


def test_simultaneous_payments_never_overpay_or_get_lost(served: Callable[..., Any]) -> None:
    server = served("--fixtures", "none")
    with httpx.Client(base_url=server.url, timeout=60) as http:
        api = Maast(http, key="concurrent-key")
        # total 100.00; partial card payments allowed, so both paths race for the balance
        invoice = api.ok("POST", "/invoice", invoice_body(
            line_items=[{"quantity": 1, "unit_cost": 100}],
            checkout_settings={"allow_partial_payments": True}))
        i = invoice["invoice_id"]
        api.send(i)
        token = api.token(i)
        # 40 payments of 3.00 .. 7.00 (200.00 in all) for a balance of 100.00
        amounts = [Decimal(3 + n % 5) for n in range(THREADS)]
        start = threading.Barrier(THREADS)

        def pay(n: int) -> tuple[int, int, int | None, int | None]:
            start.wait()
            if n % 4 == 0:  # a customer at the hosted checkout
                response = card_pay(http, token, amount=str(amounts[n]))
                ok = response.status_code == 200
                return n, response.status_code, None, response.json()[
                    "payment_id"] if ok else None
            response = api.call("POST", f"/invoice/{i}/payments",
                                {"type": "CASH", "amt_paid": float(amounts[n]),
                                 "date_payment": "2026-03-01"})
            body = response.json()
            return n, response.status_code, body["code"], body.get("data", {}).get(
                "payment_id") if response.status_code == 200 else None

        with ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(pay, range(THREADS)))

        accepted = {pid: amounts[n] for n, status, _, pid in results if status == 200}
        refused = [(n, status, code) for n, status, code, _ in results if status != 200]
        for n, status, code in refused:
            if n % 4 == 0:
                assert status == 409  # the checkout's "cannot pay that much"
            else:
                assert (status, code) == (400, 2)
        listed = api.payments(i)
        after = api.detail(i)
        assert {p["payment_id"]: Decimal(str(p["amt_paid"])) for p in listed} == accepted
        assert cents(after["amt_paid"]) == sum(cents(a) for a in accepted.values())
        assert cents(after["amt_paid"]) <= cents(after["amt_tran"])
        assert cents(after["amt_balance"]) == cents(after["amt_tran"]) - cents(after["amt_paid"])
        assert (after["status"] == "PAID") == (after["amt_balance"] == 0)
        # More was offered than owed; a refusal only ever meant "more than the balance then",
        # and the balance only went down.
        assert refused
        assert all(cents(amounts[n]) > cents(after["amt_balance"]) for n, _, _ in refused)
