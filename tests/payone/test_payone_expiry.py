"""Expiry follows `expiryperiod` and the sandbox clock."""

from __future__ import annotations

from payone_support import PayOne, advance, card_pay, freeze, snapshot, stored_invoice, token_of

DAY = 86_400


def test_expiry_date_time_is_creation_plus_period_in_utc_plus_3(api: PayOne) -> None:
    freeze(api.http, "2026-03-02T22:15:05Z")  # already 3 March 01:15:05 in UTC+3
    created = api.create_one("A", expiryperiod="1D")
    assert created["expiryDateTime"] == "04-03-2026 01:15:05"
    api.create_one("B", expiryperiod="365D")
    assert api.inquire("B")["expiryDateTime"] == "03-03-2027 01:15:05"


def test_an_invoice_expires_when_the_clock_passes_its_validity(api: PayOne) -> None:
    link = api.create_one(expiryperiod="2D")["paymentLink"]
    advance(api.http, 2 * DAY - 1)
    assert api.status("INV-1") == "NEW"
    advance(api.http, 1)
    body = api.inquire("INV-1")
    assert body["invoiceStatus"] == "EXPIRED"
    assert body["expiryDateTime"] == "04-03-2026 13:30:00"
    # Unpayable, at the hosted page and its scripted twin.
    before = snapshot(api.http)
    assert card_pay(api.http, link).status_code == 409
    page = api.http.get(f"/checkout/{token_of(link)}")
    assert 'id="status">EXPIRED<' in page.text and 'id="pay-form"' not in page.text
    assert snapshot(api.http) == before


def test_moving_the_clock_expires_invoices_without_a_read(api: PayOne) -> None:
    api.create_one(expiryperiod="1D")
    advance(api.http, DAY)
    assert stored_invoice(api, "INV-1")["status"] == "EXPIRED"


def test_an_expired_invoice_cannot_be_deactivated_activated_or_refunded(api: PayOne) -> None:
    api.create_one(expiryperiod="1D")
    advance(api.http, DAY)
    for operation in ("deactivateInvoice", "activateInvoice"):
        api.error(operation, api.document(invoiceID="INV-1"), "00008")
    api.error("refundInvoice", api.document(invoiceID="INV-1"), "00030")
    assert api.status("INV-1") == "EXPIRED"


def test_an_inactive_invoice_expires_too_and_cannot_be_activated_after(api: PayOne) -> None:
    api.create_one(expiryperiod="1D")
    api.deactivate("INV-1")
    advance(api.http, DAY + 60)
    assert api.status("INV-1") == "EXPIRED"
    before = snapshot(api.http)
    api.error("activateInvoice", api.document(invoiceID="INV-1"), "00008")
    assert snapshot(api.http) == before


def test_paid_and_authorized_invoices_do_not_expire(api: PayOne) -> None:
    api.create_one("PAID", expiryperiod="1D")
    api.create_one("AUTH", pre_auth=True, expiryperiod="1D")
    api.pay("PAID")
    api.pay("AUTH")
    advance(api.http, 30 * DAY)
    assert api.status("PAID") == "PAID"
    assert api.status("AUTH") == "AUTHORIZED"
    api.complete({"invoiceID": "AUTH", "amount": "100", "currency": "682"})
    assert api.status("AUTH") == "PAID"


def test_a_running_clock_expires_invoices_too(api: PayOne) -> None:
    api.http.post("/_sandbox/clock", json={"freeze": False})
    api.create_one(expiryperiod="1D")
    advance(api.http, DAY + 5)
    assert api.status("INV-1") == "EXPIRED"
