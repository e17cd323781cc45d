"""Maast invoice payments over HTTP: add, list, list all, update, remove, and the payment rules."""

from __future__ import annotations

from typing import Any

import pytest
from maast_support import Maast, card_pay

TOTAL = 25.5  # invoice_body(): 2 x 10.00 + 5.50


def cash(amount: Any = 5.5, date: Any = "2026-03-01", **extra: Any) -> dict[str, Any]:
    return {"type": "CASH", "amt_paid": amount, "date_payment": date, **extra}


def new(api: Maast, **fields: Any) -> int:
    return int(api.create(**fields)["invoice_id"])


def test_add_payment_answers_the_payment(api: Maast) -> None:
    invoice = api.create()
    i = invoice["invoice_id"]
    data = api.ok("POST", f"/invoice/{i}/payments", cash(5.5, description="till 3"))
    assert data == {"payment_id": data["payment_id"], "merchant_id": invoice["merchant_id"],
                    "type": "CASH", "amt_paid": 5.5, "description": "till 3", "invoice_id": i,
                    "date_payment": "2026-03-01", "status": "SAVED", "tran_currency": "840",
                    "tran_status": ""}
    assert api.payments(i) == [data]
    after = api.detail(i)
    assert (after["status"], after["amt_paid"], after["amt_balance"], after["date_payment"]) == (
        "SAVED", 5.5, 20, "2026-03-01")


@pytest.mark.parametrize("kind", ["CASH", "CHECK", "OTHER"])
def test_manual_payment_types_on_an_outstanding_invoice(api: Maast, kind: str) -> None:
    i = new(api)
    api.send(i)
    data = api.pay(i, 10, kind=kind, date="2026-03-02T09:00:00.000Z")
    assert (data["type"], data["status"], data["date_payment"], data["amt_paid"]) == (
        kind, "OUTSTANDING", "2026-03-02T09:00:00.000Z", 10)
    assert "description" not in data and "pg_id" not in data


def test_the_payment_that_clears_the_balance_makes_it_paid(api: Maast) -> None:
    i = new(api)
    api.send(i)
    api.pay(i, 20, date="2026-03-01")
    last = api.pay(i, 5.5, kind="CHECK", date="2026-03-02")
    assert last["status"] == "PAID"
    invoice = api.detail(i)
    assert (invoice["status"], invoice["amt_paid"], invoice["amt_balance"],
            invoice["date_payment"]) == ("PAID", TOTAL, 0, "2026-03-02")
    assert [p["status"] for p in api.payments(i)] == ["PAID", "PAID"]


def test_a_saved_invoice_paid_in_full_is_paid(api: Maast) -> None:
    assert api.pay(new(api), TOTAL)["status"] == "PAID"


def test_payments_never_exceed_the_balance(api: Maast) -> None:
    i = new(api)
    api.pay(i, 20)
    before = api.snapshot()
    failure = api.fail("POST", f"/invoice/{i}/payments", cash(5.51))
    assert "balance" in failure["message"]
    zero = new(api, invoice_number="EMPTY", line_items=[])
    api.fail("POST", f"/invoice/{zero}/payments", cash(0.01))
    assert api.snapshot()[1] == before[1]


def test_card_payments_cannot_be_added_by_api(api: Maast) -> None:
    i = new(api)
    api.send(i)
    before = api.snapshot()
    failure = api.fail("POST", f"/invoice/{i}/payments", {**cash(), "type": "CARD"})
    assert list(failure["data"]) == ["type"]
    assert api.snapshot() == before


@pytest.mark.parametrize("state", ["PAID", "CANCELED"])
def test_payments_only_on_saved_or_outstanding(api: Maast, state: str) -> None:
    i, other = new(api), new(api, invoice_number="INV-2")
    elsewhere = api.pay(other, 5)
    if state == "PAID":
        api.pay(i, TOTAL)
        pid = api.payments(i)[0]["payment_id"]
    else:
        api.ok("DELETE", f"/invoice/{i}/cancel")
        pid = elsewhere["payment_id"]
    before = api.snapshot()
    assert state in api.fail("POST", f"/invoice/{i}/payments", cash(1))["message"]
    if state == "PAID":
        assert state in api.fail("PUT", f"/invoice/{i}/payments/{pid}", cash(1))["message"]
        assert state in api.fail("DELETE", f"/invoice/{i}/payments/{pid}")["message"]
    else:  # a CANCELED invoice has no payments to change
        assert "payment_id" in api.fail("PUT", f"/invoice/{i}/payments/{pid}", cash(1))["data"]
    assert api.snapshot() == before


def test_list_payments_of_one_invoice_and_of_all(api: Maast) -> None:
    one, two = new(api), new(api, invoice_number="INV-2")
    p1 = api.pay(one, 1, date="2026-02-01")["payment_id"]
    p2 = api.pay(two, 2, date="2026-02-03")["payment_id"]
    p3 = api.pay(one, 3, kind="CHECK", date="2026-02-02")["payment_id"]
    listing = api.call("GET", f"/invoice/{one}/payments").json()
    assert (listing["code"], listing["message"], listing["totalPages"],
            listing["totalRecords"]) == (0, "Success", 1, 2)
    # default order: date_payment descending
    assert [(p["payment_id"], p["amt_paid"]) for p in listing["data"]] == [(p3, 3), (p1, 1)]
    everything = api.call("GET", "/invoice/payments").json()
    assert [p["payment_id"] for p in everything["data"]] == [p2, p3, p1]
    assert everything["totalRecords"] == 3
    paged = api.call("GET", "/invoice/payments",
                     params={"count": 1, "page": 1, "order_on": "amt_paid",
                             "order_by": "asc"}).json()
    assert (paged["totalPages"], [p["payment_id"] for p in paged["data"]]) == (3, [p2])
    checks = api.ok("GET", "/invoice/payments", params={"filter": "type,EQ,CHECK"})
    assert [p["payment_id"] for p in checks] == [p3]
    on_two = api.ok("GET", "/invoice/payments", params={"filter": f"invoice_id,EQ,{two}"})
    assert [p["payment_id"] for p in on_two] == [p2]
    since = api.ok("GET", "/invoice/payments", params={"filter": "date_payment,GE,2026-02-02"})
    assert [p["payment_id"] for p in since] == [p2, p3]
    assert api.fail("GET", f"/invoice/{two + 1000}/payments")["data"] == {
        "invoice_id": "not found"}
    assert list(api.fail("GET", "/invoice/payments", params={"order_on": "colour"})["data"]) == [
        "order_on"]
    assert list(api.fail("GET", f"/invoice/{one}/payments", params={"count": "x"})["data"]) == [
        "count"]


def test_update_payment(api: Maast) -> None:
    i = new(api)
    api.send(i)
    first = api.pay(i, 5)
    api.pay(i, 10)
    path = f"/invoice/{i}/payments/{first['payment_id']}"
    data = api.ok("PUT", path, {"type": "CHECK", "amt_paid": 7.25, "date_payment": "2026-03-02",
                                "description": "check 1001"})
    assert data == {**first, "type": "CHECK", "amt_paid": 7.25, "date_payment": "2026-03-02",
                    "description": "check 1001"}
    invoice = api.detail(i)
    assert (invoice["amt_paid"], invoice["amt_balance"], invoice["status"]) == (
        17.25, 8.25, "OUTSTANDING")
    # Raising it so that the payments cover the total makes the invoice PAID.
    paid = api.ok("PUT", path, cash(15.5))
    assert paid["status"] == "PAID" and api.detail(i)["amt_balance"] == 0
    assert "description" not in paid  # the update replaces the payment's fields


def test_update_payment_may_not_overpay(api: Maast) -> None:
    i = new(api)
    first = api.pay(i, 5)
    api.pay(i, 10)
    before = api.snapshot()
    api.fail("PUT", f"/invoice/{i}/payments/{first['payment_id']}", cash(15.51))
    assert api.snapshot() == before


def test_update_payment_refuses_card_and_unknown_ids(api: Maast) -> None:
    i, j = new(api), new(api, invoice_number="INV-2")
    payment = api.pay(i, 5)["payment_id"]
    other = api.pay(j, 5)["payment_id"]
    before = api.snapshot()
    assert list(api.fail("PUT", f"/invoice/{i}/payments/{payment}",
                         {**cash(), "type": "CARD"})["data"]) == ["type"]
    for path, field in [(f"/invoice/{i}/payments/{other + 1000}", "payment_id"),
                        (f"/invoice/{i}/payments/{other}", "payment_id"),
                        (f"/invoice/{j + 1000}/payments/{payment}", "invoice_id")]:
        assert api.fail("PUT", path, cash())["data"] == {field: "not found"}
    for raw in ("x", "-1", "1.0", "²"):
        assert list(api.fail("PUT", f"/invoice/{i}/payments/{raw}", cash())["data"]) == [
            "payment_id"]
    assert api.snapshot() == before


def test_remove_payment(api: Maast) -> None:
    i = new(api)
    api.send(i)
    first = api.pay(i, 5, date="2026-02-01")
    api.pay(i, 10, date="2026-02-05")
    assert api.ok("DELETE", f"/invoice/{i}/payments/{first['payment_id']}") == {}
    invoice = api.detail(i)
    assert (invoice["amt_paid"], invoice["amt_balance"], invoice["date_payment"]) == (
        10, 15.5, "2026-02-05")
    assert [p["amt_paid"] for p in api.payments(i)] == [10]


def test_removing_the_last_payment_clears_the_payment_date(api: Maast) -> None:
    i = new(api)
    payment = api.pay(i, 5)
    api.ok("DELETE", f"/invoice/{i}/payments/{payment['payment_id']}")
    invoice = api.detail(i)
    assert "date_payment" not in invoice and invoice["amt_paid"] == 0


def test_remove_payment_with_unknown_ids_changes_nothing(api: Maast) -> None:
    i, j = new(api), new(api, invoice_number="INV-2")
    payment = api.pay(i, 5)["payment_id"]
    other = api.pay(j, 5)["payment_id"]
    before = api.snapshot()
    assert api.fail("DELETE", f"/invoice/{i}/payments/{other}")["data"] == {
        "payment_id": "not found"}
    assert api.fail("DELETE", f"/invoice/{j + 1000}/payments/{payment}")["data"] == {
        "invoice_id": "not found"}
    assert "payment_id" in api.fail("DELETE", f"/invoice/{i}/payments/-1")["data"]
    assert api.snapshot() == before


def test_card_payments_can_never_be_updated_or_removed(api: Maast) -> None:
    i = new(api, checkout_settings={"allow_partial_payments": True})
    api.send(i)
    paid = card_pay(api.http, api.token(i), amount="10.00")
    assert paid.status_code == 200, paid.text
    card = api.payments(i)[0]
    assert card["type"] == "CARD"
    before = api.snapshot()
    path = f"/invoice/{i}/payments/{card['payment_id']}"
    assert "card" in api.fail("PUT", path, cash(10))["message"].lower()
    assert "card" in api.fail("DELETE", path)["message"].lower()
    assert api.snapshot() == before


BAD_PAYMENTS: list[tuple[dict[str, Any], set[str]]] = [
    ({}, {"type", "amt_paid", "date_payment"}),
    ({"type": "CASH"}, {"amt_paid", "date_payment"}),
    (cash(-5), {"amt_paid"}),
    (cash(0), {"amt_paid"}),
    (cash(1.005), {"amt_paid"}),
    (cash("5.00"), {"amt_paid"}),
    (cash(True), {"amt_paid"}),
    (cash(None), {"amt_paid"}),
    (cash(1e12), {"amt_paid"}),
    (cash(1e300), {"amt_paid"}),
    ({**cash(), "type": "BITCOIN"}, {"type"}),
    ({**cash(), "type": "cash"}, {"type"}),
    ({**cash(), "type": 1}, {"type"}),
    (cash(date="yesterday"), {"date_payment"}),
    (cash(date="2026-02-30"), {"date_payment"}),
    (cash(date=20260301), {"date_payment"}),
    (cash(description="x" * 129), {"description"}),
    (cash(description=["a"]), {"description"}),
    ({"type": "CARD", "amt_paid": -1, "date_payment": "2026-03-01"}, {"amt_paid"}),
    ({"type": "OTHER", "amt_paid": 1.001, "date_payment": None}, {"amt_paid", "date_payment"}),
]


def test_bad_payment_requests_name_the_failing_fields(api: Maast) -> None:
    i = new(api)
    existing = api.pay(i, 1)["payment_id"]
    before = api.snapshot()
    for body, fields in BAD_PAYMENTS:
        assert set(api.fail("POST", f"/invoice/{i}/payments", body)["data"]) == fields, body
        assert set(api.fail("PUT", f"/invoice/{i}/payments/{existing}", body)[
            "data"]) == fields, body
    assert api.snapshot() == before


def test_amounts_are_checked_against_the_invoice_currency(api: Maast) -> None:
    i = new(api, tran_currency="392", line_items=[{"quantity": 1, "unit_cost": 1000}])
    before = api.snapshot()
    assert list(api.fail("POST", f"/invoice/{i}/payments", cash(10.5))["data"]) == ["amt_paid"]
    assert api.snapshot() == before
    assert api.pay(i, 1000)["status"] == "PAID"
    assert api.payments(i)[0]["tran_currency"] == "392"
