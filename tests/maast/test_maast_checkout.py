"""A CARD payment only comes from the hosted checkout behind `invoice_link`: the page, its form
and the scripted `POST /_sandbox/checkout/{token}/pay`."""

from __future__ import annotations

import re

from maast_support import DECLINED_CARD, Maast, card_pay

PG_ID = re.compile(r"^[0-9a-f]{32}$")


def sent_invoice(api: Maast, partial: bool = False) -> tuple[int, str]:
    i = api.create(checkout_settings={"allow_partial_payments": partial, "email_receipt": False,
                                      "allow_ach_payment": False})["invoice_id"]
    api.send(i)
    return i, api.token(i)


def test_the_invoice_link_serves_the_checkout_page(api: Maast) -> None:
    i, token = sent_invoice(api)
    link = api.detail(i)["invoice_link"]
    assert link.endswith(f"/checkout/{token}")
    page = api.http.request("GET", f"/checkout/{token}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "Invoice INV-1" in html
    assert '<dd id="status">OUTSTANDING</dd>' in html
    assert '<dd id="total">25.50 USD</dd>' in html
    assert '<dd id="balance">25.50 USD</dd>' in html
    assert f'<form method="post" action="/checkout/{token}"' in html
    assert 'name="card_number"' in html


def test_paying_through_the_page_form(api: Maast) -> None:
    i, token = sent_invoice(api)
    page = api.http.request("POST", f"/checkout/{token}",
                            content=b"card_number=4111111111111111&amount=25.50",
                            headers={"content-type": "application/x-www-form-urlencoded"})
    assert page.status_code == 200
    assert "Payment approved" in page.text and '<dd id="status">PAID</dd>' in page.text
    assert "<form" not in page.text  # nothing left to pay
    invoice = api.detail(i)
    assert (invoice["status"], invoice["amt_paid"], invoice["amt_balance"],
            invoice["date_payment"]) == ("PAID", 25.5, 0, "2026-03-02")
    [payment] = api.payments(i)
    pg_id = payment.pop("pg_id")
    assert PG_ID.match(pg_id)
    assert payment == {"payment_id": payment["payment_id"], "merchant_id": invoice["merchant_id"],
                       "type": "CARD", "amt_paid": 25.5, "invoice_id": i,
                       "date_payment": "2026-03-02",
                       "status": "PAID", "tran_currency": "840", "tran_status": "A"}


def test_a_declined_card_at_the_form_writes_nothing(api: Maast) -> None:
    i, token = sent_invoice(api)
    before = api.snapshot()
    page = api.http.request("POST", f"/checkout/{token}",
                            content=f"card_number={DECLINED_CARD}".encode(),
                            headers={"content-type": "application/x-www-form-urlencoded"})
    assert page.status_code == 402 and "declined" in page.text
    assert api.snapshot() == before


def test_scripted_payment_of_the_whole_balance(api: Maast) -> None:
    i, token = sent_invoice(api)
    paid = card_pay(api.http, token)
    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert PG_ID.match(body["pg_id"])
    assert {k: body[k] for k in ("status", "provider", "invoice_status", "amount", "balance",
                                 "tran_status", "card_masked", "card_type")} == {
        "status": "approved", "provider": "maast", "invoice_status": "PAID", "amount": "25.50",
        "balance": "0.00", "tran_status": "A", "card_masked": "411111******1111",
        "card_type": "VISA"}
    [payment] = api.payments(i)
    assert (payment["payment_id"], payment["pg_id"], payment["type"]) == (
        body["payment_id"], body["pg_id"], "CARD")
    assert api.detail(i)["status"] == "PAID"


def test_partial_card_payment_then_cash_then_card_for_the_rest(api: Maast) -> None:
    i, token = sent_invoice(api, partial=True)
    first = card_pay(api.http, token, amount="10.00", card_number="5555555555554444")
    assert first.status_code == 200 and first.json()["invoice_status"] == "OUTSTANDING"
    assert first.json()["card_type"] == "MASTERCARD"
    api.pay(i, 5.5)
    assert api.detail(i)["amt_balance"] == 10
    # A partly paid invoice cannot be cancelled.
    before = api.snapshot()
    api.fail("DELETE", f"/invoice/{i}/cancel")
    assert api.snapshot() == before
    last = card_pay(api.http, token, amount=10)
    assert last.json()["invoice_status"] == "PAID"
    payments = api.payments(i)
    assert [(p["type"], p["amt_paid"], p["status"]) for p in payments] == [
        ("CARD", 10, "PAID"), ("CASH", 5.5, "PAID"), ("CARD", 10, "PAID")]
    assert payments[0]["pg_id"] != payments[2]["pg_id"]
    assert "pg_id" not in payments[1] and payments[1]["tran_status"] == ""


def test_a_declined_card_is_402_and_writes_nothing(api: Maast) -> None:
    i, token = sent_invoice(api)
    before = api.snapshot()
    declined = card_pay(api.http, token, card_number=DECLINED_CARD)
    assert declined.status_code == 402
    assert declined.json()["error"]["code"] == "card_declined"
    assert api.snapshot() == before


def test_checkout_refusals_write_nothing(api: Maast) -> None:
    i, token = sent_invoice(api)  # partial payments not allowed
    before = api.snapshot()
    assert card_pay(api.http, token, amount="5.00").status_code == 409
    assert card_pay(api.http, token, amount="30.00").status_code == 409
    assert card_pay(api.http, token, amount="1.001").status_code == 400
    assert card_pay(api.http, token, amount="-1").status_code == 400
    assert card_pay(api.http, token, card_number="4111111111111112").status_code == 400
    assert card_pay(api.http, token, card_number=4111111111111111).status_code == 400
    assert card_pay(api.http, "0" * 32).status_code == 404
    assert api.http.request("GET", f"/checkout/{'0' * 32}").status_code == 404
    assert api.snapshot() == before


def test_paid_and_cancelled_invoices_cannot_be_paid_at_checkout(api: Maast) -> None:
    i, token = sent_invoice(api)
    assert card_pay(api.http, token).status_code == 200
    assert card_pay(api.http, token, amount="1.00").status_code == 409
    j = api.create(invoice_number="INV-2")["invoice_id"]
    api.send(j)
    other = api.token(j)
    api.ok("DELETE", f"/invoice/{j}/cancel")
    before = api.snapshot()
    assert card_pay(api.http, other).status_code == 409
    assert card_pay(api.http, other, card_number=DECLINED_CARD).status_code == 409
    page = api.http.request("GET", f"/checkout/{other}")
    assert '<dd id="status">CANCELED</dd>' in page.text and "<form" not in page.text
    assert api.snapshot() == before


def test_opening_the_page_sets_date_last_view(api: Maast) -> None:
    i, token = sent_invoice(api)
    assert "date_last_view" not in api.detail(i)
    api.http.request("GET", f"/checkout/{token}")
    viewed = api.detail(i)["date_last_view"]
    assert viewed == api.detail(i)["date_sent"]  # same day, same date style
