"""Maast invoice operations over HTTP: create, detail, list, draft and outstanding updates, copy,
send, resend, cancel and bounced invoices, with their rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from maast_support import DB_TIMESTAMP, TODAY, Maast, invoice_body

BILLING = {"first_name": "Ada", "last_name": "Lovelace", "email_address": "ada@example.com"}
LINK = re.compile(r"^http://127\.0\.0\.1:8080/checkout/[0-9a-f]{32}$")
CASH = {"type": "CASH", "amt_paid": 1, "date_payment": "2026-03-01"}


def expected_invoice(ids: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The answer for `invoice_body()`, with the ids of `ids` (an answer about that invoice)."""
    data: dict[str, Any] = {
        "invoice_id": ids["invoice_id"],
        "merchant_id": ids["merchant_id"],
        "customer_id": "CUST1",
        "billing_contact": BILLING,
        "invoice_number": "INV-1",
        "status": "SAVED",
        "amt_tran": 25.5,
        "amt_tax": 0,
        "amt_sub_total": 25.5,
        "amt_paid": 0,
        "amt_balance": 25.5,
        "tran_currency": "840",
        "payment_terms": {"type": "DAYS", "value": "10"},
        "date_invoice": "2026-03-01",
        "line_items": [{"quantity": 2, "description": "Widget", "unit_cost": 10},
                       {"quantity": 1, "description": "Shipping", "unit_cost": 5.5}],
        "date_due": "2026-03-11",
        "db_timestamp": DB_TIMESTAMP,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def new(api: Maast, **fields: Any) -> int:
    return int(api.create(**fields)["invoice_id"])


# --- create and detail -----------------------------------------------------------------------

def test_create_answers_the_saved_invoice_with_computed_amounts(api: Maast) -> None:
    created = api.create()
    assert created == expected_invoice(created)
    assert api.detail(created["invoice_id"]) == created


def test_create_with_only_the_required_fields_uses_the_defaults(api: Maast) -> None:
    first = api.create()  # puts CUST1 in the vault
    data = api.ok("POST", "/invoice", {"customer_id": "CUST1", "invoice_number": "N-2"})
    assert data == {
        "invoice_id": first["invoice_id"] + 1, "merchant_id": first["merchant_id"],
        "customer_id": "CUST1", "invoice_number": "N-2", "status": "SAVED", "amt_tran": 0,
        "amt_tax": 0, "amt_sub_total": 0, "amt_paid": 0, "amt_balance": 0,
        "tran_currency": "840", "date_invoice": TODAY, "line_items": [], "date_due": TODAY,
        "db_timestamp": DB_TIMESTAMP,
    }


def test_every_optional_field_is_echoed(api: Maast) -> None:
    sender = {"firm_name": "Widgets Inc", "phone": "5550100", "email_address": "ar@widgets.test",
              "address1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701",
              "zip4": "0001", "country_code": "840", "country": "United States"}
    settings = {"allow_partial_payments": True, "email_receipt": True, "allow_ach_payment": False}
    data = api.create(from_contact=sender, profile_id="21200000000100000840",
                      footer_note="Thanks!", payment_terms_note="Net 10",
                      checkout_settings=settings, tran_currency="840")
    assert data == expected_invoice(data, from_contact=sender,
                                    profile_id="21200000000100000840", footer_note="Thanks!",
                                    payment_terms_note="Net 10", checkout_settings=settings)


@pytest.mark.parametrize(("items", "tax", "sub_total", "amt_tax", "total"), [
    # 2.345 % of 14.90 = 0.349405 -> 0.35
    ([{"quantity": 10, "unit_cost": 1.49}], {"type": "RATE", "value": 2.345}, 14.9, 0.35, 15.25),
    # 0.5 % of 1.00 = 0.005 -> 0.01: half-up, not half-even
    ([{"quantity": 1, "unit_cost": 1}], {"type": "RATE", "value": 0.5}, 1, 0.01, 1.01),
    # each line is rounded half-up to cents: 1.5 x 0.01 = 0.015 -> 0.02; 0.333 x 1 -> 0.33
    ([{"quantity": 1.5, "unit_cost": 0.01}, {"quantity": 0.333, "unit_cost": 1}], None,
     0.35, 0, 0.35),
    ([{"quantity": 3, "unit_cost": 0.1}], {"type": "AMOUNT", "value": 1.25}, 0.3, 1.25, 1.55),
    ([{"quantity": 3, "unit_cost": 33.33}], {"type": "RATE", "value": 0}, 99.99, 0, 99.99),
    ([], {"type": "AMOUNT", "value": 7}, 0, 7, 7),
    ([{"quantity": 1, "unit_cost": 999999999999.99}], None, 999999999999.99, 0,
     999999999999.99),
])
def test_amounts_are_exact_and_tax_rounds_half_up(api: Maast, items: list[Any], tax: Any,
                                                   sub_total: Any, amt_tax: Any,
                                                   total: Any) -> None:
    data = api.create(line_items=items, sales_tax=tax)
    assert (data["amt_sub_total"], data["amt_tax"], data["amt_tran"], data["amt_balance"]) == (
        sub_total, amt_tax, total, total)


def test_amounts_with_trailing_zeros_are_not_over_precise(api: Maast) -> None:
    raw = (b'{"customer_id": "C", "invoice_number": "N", "save_customer": true, '
           b'"billing_contact": {"first_name": "A", "last_name": "B", "email_address": "a@b"}, '
           b'"line_items": [{"quantity": 2.000, "unit_cost": 10.500}]}')
    data = api.ok("POST", "/invoice", raw=raw)
    assert (data["amt_sub_total"], data["line_items"]) == (21, [{"quantity": 2, "unit_cost": 10.5}])


@pytest.mark.parametrize(("date_invoice", "terms", "due"), [
    ("2026-03-01", {"type": "DAYS", "value": "10"}, "2026-03-11"),
    ("2026-02-20", {"type": "DAYS", "value": "30"}, "2026-03-22"),
    ("2026-03-01", {"type": "DAYS", "value": "0"}, "2026-03-01"),
    ("2026-03-01", {"type": "DATE", "value": "2026-04-15"}, "2026-04-15"),
    ("2026-03-01", None, "2026-03-01"),
    ("2025-01-01T00:00:00.000Z", {"type": "DAYS", "value": "10"}, "2025-01-11T00:00:00.000Z"),
    ("2025-01-01T00:00:00.000Z", {"type": "DATE", "value": "2025-02-01"},
     "2025-02-01T00:00:00.000Z"),
])
def test_date_due_follows_the_payment_terms_in_the_style_sent(api: Maast, date_invoice: str,
                                                               terms: Any, due: str) -> None:
    data = api.create(date_invoice=date_invoice, payment_terms=terms)
    assert (data["date_invoice"], data["date_due"]) == (date_invoice, due)


def test_an_unknown_customer_needs_save_customer(api: Maast) -> None:
    failure = api.fail("POST", "/invoice", invoice_body(save_customer=None))
    assert list(failure["data"]) == ["customer_id"]
    assert api.snapshot() == ([], [])
    api.create()  # save_customer: true puts it in the vault ...
    again = api.ok("POST", "/invoice", invoice_body(save_customer=None, billing_contact=None))
    assert again["customer_id"] == "CUST1"  # ... and later invoices may just name it


def test_the_vault_is_per_tenant(api: Maast) -> None:
    api.create()
    other = Maast(api.http, key=api.key + "-other")
    failure = other.fail("POST", "/invoice", invoice_body(save_customer=None))
    assert list(failure["data"]) == ["customer_id"]


def test_a_failed_create_does_not_save_its_customer(api: Maast) -> None:
    api.fail("POST", "/invoice", invoice_body(line_items=[{"quantity": 1, "unit_cost": -1}]))
    failure = api.fail("POST", "/invoice", invoice_body(save_customer=None))
    assert list(failure["data"]) == ["customer_id"]
    assert api.snapshot() == ([], [])


def test_detail_of_an_unknown_invoice(api: Maast) -> None:
    failure = api.fail("GET", "/invoice/424242/detail")
    assert failure["data"] == {"invoice_id": "not found"} and "424242" in failure["message"]
    for raw in ("abc", "-1", "1.5", "99999999999999999999", "²"):
        assert list(api.fail("GET", f"/invoice/{raw}/detail")["data"]) == ["invoice_id"]


# --- list ------------------------------------------------------------------------------------

@pytest.fixture
def five(api: Maast) -> tuple[Maast, list[int]]:
    """Invoices N-1 .. N-5 with totals 10, 20, 30, 40, 50; N-2 sent, N-3 cancelled."""
    ids = [new(api, invoice_number=f"N-{i}", line_items=[{"quantity": i, "unit_cost": 10}])
           for i in range(1, 6)]
    api.send(ids[1])
    api.ok("DELETE", f"/invoice/{ids[2]}/cancel")
    return api, ids


def numbers(api: Maast, **params: Any) -> list[str]:
    return [row["invoice_number"] for row in api.ok("GET", "/invoice", params=params)]


def test_list_defaults_to_invoice_number_descending_in_pages_of_ten(
        five: tuple[Maast, list[int]]) -> None:
    api, ids = five
    body = api.call("GET", "/invoice").json()
    assert (body["code"], body["message"], body["totalPages"], body["totalRecords"]) == (
        0, "Success", 1, 5)
    assert [r["invoice_number"] for r in body["data"]] == ["N-5", "N-4", "N-3", "N-2", "N-1"]
    assert body["data"][0] == api.detail(ids[4])
    assert len(api.ok("GET", "/invoice", params={"count": 100})) == 5


def test_list_pages(five: tuple[Maast, list[int]]) -> None:
    api, _ = five
    body = api.call("GET", "/invoice", params={"count": 2, "page": 1, "order_by": "asc"}).json()
    assert (body["totalPages"], body["totalRecords"]) == (3, 5)
    assert [r["invoice_number"] for r in body["data"]] == ["N-3", "N-4"]
    assert numbers(api, count=2, page=2, order_by="asc") == ["N-5"]
    assert numbers(api, count=2, page=3) == []
    assert numbers(api, count=1, order_by="ASC") == ["N-1"]


def test_list_orders(five: tuple[Maast, list[int]]) -> None:
    api, _ = five
    assert numbers(api, order_on="amt_tran", order_by="asc") == ["N-1", "N-2", "N-3", "N-4",
                                                                 "N-5"]
    assert numbers(api, order_on="invoice_id") == ["N-5", "N-4", "N-3", "N-2", "N-1"]
    assert numbers(api, order_on="status", order_by="asc")[0] == "N-3"  # CANCELED first


LIST_FILTERS: list[tuple[list[str], list[str]]] = [
    (["status,EQ,SAVED"], ["N-5", "N-4", "N-1"]),
    (["status,NE,SAVED"], ["N-3", "N-2"]),
    (["status,IN,OUTSTANDING,CANCELED"], ["N-3", "N-2"]),
    (["amt_tran,GT,30"], ["N-5", "N-4"]),
    (["amt_tran,GE,30", "amt_tran,LT,50"], ["N-4", "N-3"]),
    (["amt_tran,LE,10.00"], ["N-1"]),
    (["amt_balance,BETWEEN,20,40"], ["N-4", "N-3", "N-2"]),
    (["invoice_number,LIKE,N-%"], ["N-5", "N-4", "N-3", "N-2", "N-1"]),
    (["invoice_number,EQ,N-4"], ["N-4"]),
    (["date_sent,IS_NOT_NULL"], ["N-2"]),
    (["date_sent,is_null", "status,EQ,SAVED", "amt_tran,GE,20"], ["N-5", "N-4"]),
    (["date_invoice,EQ,2026-03-01"], ["N-5", "N-4", "N-3", "N-2", "N-1"]),
    (["date_due,GT,2026-03-11"], []),
    (["customer_id,EQ,NOBODY"], []),
]


def test_list_filters(five: tuple[Maast, list[int]]) -> None:
    api, ids = five
    for filters, expected in [*LIST_FILTERS, ([f"invoice_id,EQ,{ids[2]}"], ["N-3"])]:
        body = api.call("GET", "/invoice", params={"filter": filters}).json()
        assert [r["invoice_number"] for r in body["data"]] == expected, filters
        assert body["totalRecords"] == len(expected), filters


BAD_LIST_PARAMS: list[tuple[dict[str, str], str]] = [
    ({"count": "0"}, "count"),
    ({"count": "101"}, "count"),
    ({"count": "ten"}, "count"),
    ({"count": "²"}, "count"),
    ({"page": "-1"}, "page"),
    ({"order_on": "colour"}, "order_on"),
    ({"order_by": "sideways"}, "order_by"),
    ({"filter": "colour,EQ,red"}, "filter[0]"),
    ({"filter": "status,ABOUT,PAID"}, "filter[0]"),
    ({"filter": "status"}, "filter[0]"),
    ({"filter": "status,EQ"}, "filter[0]"),
    ({"filter": "amt_tran,EQ,lots"}, "filter[0]"),
    ({"filter": "amt_tran,EQ,1e999999"}, "filter[0]"),
    ({"filter": "amt_tran,EQ,0.001"}, "filter[0]"),
    ({"filter": "amt_tran,BETWEEN,1"}, "filter[0]"),
    ({"filter": "invoice_id,EQ,99999999999999999999999"}, "filter[0]"),
    ({"filter": "date_invoice,EQ,yesterday"}, "filter[0]"),
]


def test_bad_list_parameters_are_code_2_naming_the_parameter(
        five: tuple[Maast, list[int]]) -> None:
    api, _ = five
    for params, field in BAD_LIST_PARAMS:
        assert list(api.fail("GET", "/invoice", params=params)["data"]) == [field], params
    both = api.fail("GET", "/invoice", params={"count": "0", "filter": ["status,EQ,PAID", "x"]})
    assert set(both["data"]) == {"count", "filter[1]"}


# --- draft update ----------------------------------------------------------------------------

def test_draft_update_changes_only_what_is_sent_and_recomputes(api: Maast) -> None:
    created = api.create(sales_tax={"type": "RATE", "value": 10})
    i = created["invoice_id"]
    data = api.ok("PUT", f"/invoice/{i}/draft", {
        "invoice_number": "INV-1b", "line_items": [{"quantity": 4, "unit_cost": 2.5}],
        "date_invoice": "2026-03-05", "footer_note": "updated"})
    assert data == expected_invoice(
        created, invoice_number="INV-1b", line_items=[{"quantity": 4, "unit_cost": 2.5}],
        amt_sub_total=10, amt_tax=1, amt_tran=11, amt_balance=11,
        sales_tax={"type": "RATE", "value": 10}, date_invoice="2026-03-05",
        date_due="2026-03-15", footer_note="updated")
    assert api.detail(i) == data


def test_draft_update_with_terms_only_moves_the_due_date(api: Maast) -> None:
    i = new(api)
    data = api.ok("PUT", f"/invoice/{i}/draft", {"payment_terms": {"type": "DAYS", "value": "5"}})
    assert (data["date_invoice"], data["date_due"]) == ("2026-03-01", "2026-03-06")


def test_draft_update_to_another_customer_needs_the_vault(api: Maast) -> None:
    i = new(api)
    before = api.snapshot()
    assert list(api.fail("PUT", f"/invoice/{i}/draft", {"customer_id": "GHOST"})["data"]) == [
        "customer_id"]
    assert api.snapshot() == before
    data = api.ok("PUT", f"/invoice/{i}/draft", {"customer_id": "NEW", "save_customer": True,
                                                 "billing_contact": BILLING})
    assert data["customer_id"] == "NEW"


def test_draft_update_is_refused_once_sent(api: Maast) -> None:
    i = new(api)
    api.send(i)
    before = api.snapshot()
    failure = api.fail("PUT", f"/invoice/{i}/draft", {"invoice_number": "X"})
    assert "OUTSTANDING" in failure["message"] and "SAVED" in failure["message"]
    assert api.snapshot() == before


def test_draft_update_cannot_bring_the_total_below_the_paid_amount(api: Maast) -> None:
    i = new(api)
    api.pay(i, 20)
    before = api.snapshot()
    api.fail("PUT", f"/invoice/{i}/draft", {"line_items": [{"quantity": 1, "unit_cost": 19.99}]})
    assert api.snapshot() == before


def test_draft_update_down_to_the_paid_amount_makes_it_paid(api: Maast) -> None:
    i = new(api)
    api.pay(i, 20)
    data = api.ok("PUT", f"/invoice/{i}/draft", {"line_items": [{"quantity": 2, "unit_cost": 10}]})
    assert (data["status"], data["amt_tran"], data["amt_paid"], data["amt_balance"]) == (
        "PAID", 20, 20, 0)


# --- outstanding update ----------------------------------------------------------------------

def test_outstanding_update_changes_the_contacts(api: Maast) -> None:
    i = new(api)
    sent = api.send(i)
    contact = {"first_name": "Grace", "last_name": "Hopper", "email_address": "grace@example.com"}
    sender = {"firm_name": "Widgets Inc", "phone": "5550100", "email_address": "ar@widgets.test"}
    data = api.ok("PUT", f"/invoice/{i}/outstanding", {"billing_contact": contact,
                                                       "from_contact": sender})
    assert data == {**sent, "billing_contact": contact, "from_contact": sender}
    assert list(data).index("from_contact") < list(data).index("billing_contact")
    assert api.detail(i) == data


def test_outstanding_update_refuses_other_fields_and_bad_contacts(api: Maast) -> None:
    i = new(api)
    api.send(i)
    before = api.snapshot()
    for body, fields in [
        ({"invoice_number": "X"}, {"invoice_number"}),
        ({"billing_contact": BILLING, "line_items": []}, {"line_items"}),
        ({"footer_note": "x", "status": "PAID"}, {"footer_note", "status"}),
        ({"billing_contact": {"first_name": "G"}, "from_contact": {"phone": "1"}},
         {"billing_contact.email_address", "billing_contact.last_name",
          "from_contact.email_address", "from_contact.firm_name"}),
        ({"billing_contact": {**BILLING, "zip": "1" * 11}}, {"billing_contact.zip"}),
    ]:
        assert set(api.fail("PUT", f"/invoice/{i}/outstanding", body)["data"]) == fields, body
    assert api.snapshot() == before


@pytest.mark.parametrize("state", ["SAVED", "CANCELED", "PAID"])
def test_outstanding_update_only_on_outstanding_invoices(api: Maast, state: str) -> None:
    i = new(api)
    if state == "CANCELED":
        api.ok("DELETE", f"/invoice/{i}/cancel")
    if state == "PAID":
        api.pay(i, 25.5)
    before = api.snapshot()
    failure = api.fail("PUT", f"/invoice/{i}/outstanding", {"billing_contact": BILLING})
    assert state in failure["message"]
    assert api.snapshot() == before


# --- copy ------------------------------------------------------------------------------------

def test_copy_is_a_new_saved_invoice_dated_today_without_payments(api: Maast) -> None:
    i = new(api)
    api.send(i)
    api.pay(i, 25.5)
    original = api.detail(i)
    assert original["status"] == "PAID"
    copy = api.ok("POST", f"/invoice/{i}/copy")
    assert copy["invoice_id"] > i
    assert copy == expected_invoice(copy, date_invoice=TODAY, date_due="2026-03-12")
    assert api.payments(copy["invoice_id"]) == []
    assert api.detail(i) == original


def test_copy_takes_a_new_invoice_number_and_keeps_the_date_style(api: Maast) -> None:
    i = new(api, date_invoice="2025-01-01T00:00:00.000Z")
    copy = api.ok("POST", f"/invoice/{i}/copy", {"invoice_number": "INV-2"})
    assert (copy["invoice_number"], copy["date_invoice"], copy["date_due"]) == (
        "INV-2", "2026-03-02T00:00:00.000Z", "2026-03-12T00:00:00.000Z")


def test_copy_of_a_cancelled_invoice_is_allowed(api: Maast) -> None:
    i = new(api)
    api.ok("DELETE", f"/invoice/{i}/cancel")
    assert api.ok("POST", f"/invoice/{i}/copy")["status"] == "SAVED"


def test_copy_refuses_bad_input(api: Maast) -> None:
    i = new(api)
    before = api.snapshot()
    assert api.fail("POST", f"/invoice/{i + 1000}/copy")["data"] == {"invoice_id": "not found"}
    for body in ({"invoice_number": "x" * 26}, {"invoice_number": 7}):
        assert list(api.fail("POST", f"/invoice/{i}/copy", body)["data"]) == ["invoice_number"]
    assert list(api.fail("POST", f"/invoice/{i}/copy", raw=b"{oops")["data"]) == ["body"]
    assert api.snapshot() == before


# --- send and resend -------------------------------------------------------------------------

def test_send_makes_it_outstanding_with_a_checkout_link(api: Maast) -> None:
    i = new(api)
    sent = api.send(i)
    link = sent.pop("invoice_link")
    assert LINK.match(link)
    assert sent == expected_invoice(sent, status="OUTSTANDING", date_sent=TODAY)
    order = list(api.detail(i))
    assert order.index("tran_currency") < order.index("invoice_link") < order.index("date_invoice")
    again = api.send(i, {"email_address": ["billing@example.com"], "phone_number": ["5550100"]})
    assert again["invoice_link"] == link and again["date_sent"] == TODAY


def test_send_keeps_the_first_sent_date(api: Maast) -> None:
    i = new(api)
    api.send(i)
    assert api.http.request("POST", "/_sandbox/clock", json={"advance": 3 * 86400}).is_success
    assert api.send(i)["date_sent"] == TODAY


def test_send_falls_back_to_the_customer_vault_contact(api: Maast) -> None:
    api.create(customer_id="VAULTED", billing_contact={
        "first_name": "Ada", "last_name": "Lovelace", "email_address": "bounce-ada@example.com"})
    i = api.ok("POST", "/invoice", {"customer_id": "VAULTED", "invoice_number": "NO-MAIL"})[
        "invoice_id"]
    assert api.send(i)["status"] == "OUTSTANDING"
    bounced = api.ok("GET", "/invoice/bounced")
    assert [(b["invoice_id"], b["recipient"]) for b in bounced] == [
        (i, ["bounce-ada@example.com"])]


def test_send_needs_a_recipient(make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    (tmp_path / "maast.toml").write_text(
        '[[tenants]]\napi_key = "k"\n[[tenants.customers]]\ncustomer_id = "NOMAIL"\n')
    api = Maast(make_client(fixtures=tmp_path), key="k")
    i = api.ok("POST", "/invoice", {"customer_id": "NOMAIL", "invoice_number": "N"})["invoice_id"]
    before = api.snapshot()
    assert api.fail("POST", f"/invoice/{i}/send")["message"] == (
        "The invoice has no email address to send to")
    assert api.snapshot() == before
    assert api.send(i, {"email_address": ["someone@example.com"]})["status"] == "OUTSTANDING"


def test_send_validates_its_body(api: Maast) -> None:
    i = new(api)
    before = api.snapshot()
    for body, field in [({"email_address": "not-a-list@example.com"}, "email_address"),
                        ({"email_address": ["x" * 65]}, "email_address[0]"),
                        ({"phone_number": [5550100]}, "phone_number[0]")]:
        assert list(api.fail("POST", f"/invoice/{i}/send", body)["data"]) == [field]
    assert api.snapshot() == before


@pytest.mark.parametrize("state", ["PAID", "CANCELED"])
def test_send_refused_when_locked(api: Maast, state: str) -> None:
    i = new(api)
    if state == "PAID":
        api.pay(i, 25.5)
    else:
        api.ok("DELETE", f"/invoice/{i}/cancel")
    before = api.snapshot()
    assert state in api.fail("POST", f"/invoice/{i}/send")["message"]
    assert api.snapshot() == before


def test_resend_answers_with_the_invoice_for_outstanding_and_paid(api: Maast) -> None:
    i = new(api)
    api.send(i)
    response = api.call("POST", f"/invoice/{i}/resend")
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["message"]) == (0, "Success")
    assert body["data"] == api.ok("GET", f"/invoice/{i}/detail")
    assert api.call("POST", f"/invoice/{i}/resend",
                    {"email_address": ["other@example.com"]}).json()["code"] == 0
    api.pay(i, 25.5)
    assert api.ok("POST", f"/invoice/{i}/resend")["status"] == "PAID"


@pytest.mark.parametrize("state", ["SAVED", "CANCELED"])
def test_resend_refused_unless_outstanding_or_paid(api: Maast, state: str) -> None:
    i = new(api)
    if state == "CANCELED":
        api.ok("DELETE", f"/invoice/{i}/cancel")
    before = api.snapshot()
    assert state in api.fail("POST", f"/invoice/{i}/resend")["message"]
    assert api.snapshot() == before


# --- cancel ----------------------------------------------------------------------------------

@pytest.mark.parametrize("sent", [False, True])
def test_cancel_saved_or_outstanding(api: Maast, sent: bool) -> None:
    i = new(api)
    before = api.send(i) if sent else api.detail(i)
    cancelled = api.ok("DELETE", f"/invoice/{i}/cancel")
    assert cancelled == {**before, "status": "CANCELED"}


def test_a_partially_paid_invoice_cannot_be_cancelled(api: Maast) -> None:
    i = new(api)
    api.send(i)
    api.pay(i, 5)
    before = api.snapshot()
    api.fail("DELETE", f"/invoice/{i}/cancel")
    assert api.snapshot() == before


def test_paid_and_cancelled_invoices_cannot_be_cancelled(api: Maast) -> None:
    paid, cancelled = new(api), new(api, invoice_number="INV-2")
    api.pay(paid, 25.5)
    api.ok("DELETE", f"/invoice/{cancelled}/cancel")
    before = api.snapshot()
    assert "PAID" in api.fail("DELETE", f"/invoice/{paid}/cancel")["message"]
    assert "CANCELED" in api.fail("DELETE", f"/invoice/{cancelled}/cancel")["message"]
    assert api.fail("DELETE", f"/invoice/{cancelled + 1000}/cancel")["data"] == {
        "invoice_id": "not found"}
    assert api.snapshot() == before


def test_cancelled_invoices_are_locked(api: Maast) -> None:
    i = new(api)
    api.ok("DELETE", f"/invoice/{i}/cancel")
    before = api.snapshot()
    api.fail("PUT", f"/invoice/{i}/draft", {"footer_note": "x"})
    api.fail("POST", f"/invoice/{i}/payments", CASH)
    assert api.snapshot() == before


# --- bounced ---------------------------------------------------------------------------------

def test_bounced_lists_invoices_whose_email_bounced(api: Maast) -> None:
    first, second = api.create(), new(api, invoice_number="INV-2")
    api.send(first["invoice_id"], {"email_address": ["bounce@example.com", "fine@example.com"]})
    api.send(second)
    body = api.call("GET", "/invoice/bounced").json()
    assert body == {"code": 0, "message": "Success", "totalPages": 1, "totalRecords": 1,
                    "data": [{"invoice_id": first["invoice_id"],
                              "merchant_id": first["merchant_id"],
                              "invoice_number": "INV-1", "customer_id": "CUST1",
                              "status": "OUTSTANDING", "send_code": "O",
                              "db_timestamp": DB_TIMESTAMP,
                              "recipient": ["bounce@example.com"]}]}
    # a resend that bounces is another record, coded A
    api.ok("POST", f"/invoice/{first['invoice_id']}/resend",
           {"email_address": ["bounce-2@example.com", "bounce-3@example.com"]})
    again = api.ok("GET", "/invoice/bounced", params={"order_by": "asc"})
    assert [(b["send_code"], b["recipient"]) for b in again] == [
        ("O", ["bounce@example.com"]), ("A", ["bounce-2@example.com", "bounce-3@example.com"])]
    assert Maast(api.http, key=api.key + "-other").call("GET", "/invoice/bounced").json()[
        "totalRecords"] == 0
    assert list(api.fail("GET", "/invoice/bounced", params={"order_on": "reason"})["data"]) == [
        "order_on"]
