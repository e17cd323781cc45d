"""The dashboard in a real browser, one test per thing a frontend developer does with it.

Each test drives `/_sandbox/ui` in Chromium against a served sandbox and fails if the page logs a
JavaScript error or requests anything from outside the sandbox.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.browser.browser_kit import CHROMIUM, Guard, browser_page
from tests.conftest import ServedSandbox, basic

pytest.importorskip("playwright.sync_api")
# In CI a missing Chromium fails the run rather than skipping it.
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="Chromium is not installed")

MAAST_KEY = "dash-maast-key"
MAAST = basic("", MAAST_KEY)
PAYONE_SERVICE = "/URL2PayAdminWeb/rest/InvoicesService/"
PAYONE = {"merchantID": "dashMerchant", "authenticationToken": "dash-token-0001"}


class Dashboard:
    def __init__(self, server: ServedSandbox, page: Any) -> None:
        self.server, self.page = server, page
        self.http = httpx.Client(base_url=server.url, timeout=10)

    def open(self, route: str = "") -> None:
        self.page.goto(f"{self.server.url}/_sandbox/ui#/{route}")

    def maast_invoice(self, number: str, *, partial: bool = True) -> int:
        """A Maast invoice created and sent through the Maast API, as an app would."""
        body = {
            "customer_id": number, "save_customer": True, "invoice_number": number,
            "billing_contact": {"first_name": "Ada", "last_name": "Lovelace",
                                "email_address": "ada@example.com"},
            "payment_terms": {"type": "DAYS", "value": "10"},
            "checkout_settings": {"allow_partial_payments": partial},
            "line_items": [{"quantity": 2, "description": "Widget", "unit_cost": 10.00},
                           {"quantity": 1, "description": "Shipping", "unit_cost": 5.5}],
        }
        created = self.http.post("/platform/invoice", json=body, headers=MAAST)
        assert created.status_code == 200, created.text
        invoice_id = int(created.json()["data"]["invoice_id"])
        sent = self.http.post(f"/platform/invoice/{invoice_id}/send", headers=MAAST)
        assert sent.status_code == 200, sent.text
        return invoice_id

    def maast_status(self, invoice_id: int) -> str:
        detail = self.http.get(f"/platform/invoice/{invoice_id}/detail", headers=MAAST)
        return str(detail.json()["data"]["status"])

    def payone(self, operation: str, field: str, **document: Any) -> dict[str, Any]:
        form = urlencode({field: json.dumps({**PAYONE, **document})})
        answer = self.http.post(PAYONE_SERVICE + operation, content=form,
                                headers={"content-type": "application/x-www-form-urlencoded"})
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result


@pytest.fixture
def dash(served: Callable[..., ServedSandbox]) -> Iterator[Dashboard]:
    server = served("--fixtures", "none")
    with browser_page(server.url) as (page, guard):
        board = Dashboard(server, page)
        yield board
        board.http.close()
        _no_problems(guard)


def _no_problems(guard: Guard) -> None:
    assert guard.problems == [], guard.problems


def test_find_an_invoice_made_through_the_api_and_pay_it(dash: Dashboard) -> None:
    invoice_id = dash.maast_invoice("WEB-2001")
    page = dash.page
    dash.open("invoices")
    page.get_by_label("Search").fill("WEB-2001")
    page.get_by_role("button", name="Filter invoices").click()
    page.get_by_role("link", name="WEB-2001").click()
    assert page.text_content("#inv-status") == "OUTSTANDING"
    assert "25.50" in page.text_content("#inv-balance")
    assert page.get_by_role("cell", name="Widget").is_visible()

    page.get_by_label("Test card").select_option("4000000000000002")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.get_by_text("Declined: Your card was declined.").wait_for()
    assert page.text_content("#inv-status") == "OUTSTANDING"

    page.get_by_label("Test card").select_option("4111111111111111")
    page.get_by_label("Amount (USD)").fill("5.50")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.get_by_text("Approved: 5.50 charged to 411111******1111").wait_for()
    assert "20.00" in page.text_content("#inv-balance")

    page.get_by_role("button", name="Pay", exact=True).click()  # the rest of the balance
    page.wait_for_selector("#not-payable")
    assert page.text_content("#inv-status") == "PAID"
    assert page.get_by_role("cell", name="customer, at the hosted checkout").count() == 2
    assert dash.maast_status(invoice_id) == "PAID"


def test_advancing_the_clock_expires_a_payone_invoice(dash: Dashboard) -> None:
    dash.payone("createInvoice", "invoices", invoicesDetails=[{
        "invoiceID": "WEB-EXP-1", "amount": "5000", "currency": "682",
        "paymentDescription": "Order 7", "customerEmailAddress": "buyer@example.com",
        "expiryperiod": "2D"}])
    page = dash.page
    dash.open("clock")
    page.get_by_label("Advance by", exact=True).fill("3")
    page.get_by_label("Unit").select_option("days")
    page.get_by_role("button", name="Advance clock", exact=True).click()
    expired = page.locator("#expired")
    expired.get_by_text("1 invoice expired").wait_for()
    expired.get_by_role("link", name="PayOne SmartLink WEB-EXP-1").click()
    assert page.text_content("#inv-status") == "EXPIRED"
    assert "This payment link has expired." in page.text_content("#not-payable")
    inquiry = dash.payone("inquireInvoice", "invoice", invoiceID="WEB-EXP-1")
    assert inquiry["invoiceStatus"] == "EXPIRED"


def test_a_fault_added_in_the_page_fails_the_next_api_call(dash: Dashboard) -> None:
    dash.maast_invoice("WEB-3001")
    page = dash.page
    dash.open("faults")
    page.get_by_label("Provider").select_option("maast")
    page.get_by_label("Path starts with").fill("/platform/invoice")
    page.get_by_label("Action").select_option("error")
    page.get_by_label("Status").fill("503")
    page.get_by_label("Times").fill("1")
    page.get_by_role("button", name="Add fault").click()
    page.locator("#fault-rules").get_by_text("1 of 1").wait_for()

    broken = dash.http.get("/platform/invoice", headers=MAAST)
    assert broken.status_code == 503
    assert broken.json()["code"] != 0  # Maast's own error shape, not the control plane's
    assert dash.http.get("/platform/invoice", headers=MAAST).status_code == 200

    page.reload()
    page.locator("#fault-rules").get_by_text("0 of 1").wait_for()
    page.get_by_role("button", name="Remove fault 1").click()
    page.wait_for_selector("#no-faults")


def test_a_new_request_appears_in_the_live_journal(dash: Dashboard) -> None:
    page = dash.page
    dash.open("journal")
    page.locator("#live.on").wait_for()
    page.evaluate("window.stillTheSamePage = true")
    created = dash.maast_invoice("WEB-4001")

    entry = page.locator(".journal-list li", has_text=f"/platform/invoice/{created}/send")
    entry.wait_for()
    assert page.evaluate("window.stillTheSamePage") is True  # no reload happened
    entry.locator("summary").click()
    exchange = entry.locator(".exchange")
    assert "Authorization: Basic [redacted]" in exchange.text_content().replace(
        "authorization", "Authorization")
    assert '"status": "OUTSTANDING"' in exchange.text_content()

    page.get_by_label("Method").select_option("GET")
    page.get_by_role("button", name="Filter requests").click()
    page.wait_for_selector("#journal-empty", state="visible")
    dash.http.get("/platform/invoice", headers=MAAST)
    page.locator(".journal-list li", has_text="GET").first.wait_for()
    assert page.locator(".journal-list li", has_text="POST").count() == 0


def test_resetting_a_tenant_removes_its_invoices(dash: Dashboard) -> None:
    dash.maast_invoice("WEB-5001")
    page = dash.page
    dash.open("reset")
    page.get_by_label("Tenant to reset").select_option(label=f"Maast · {MAAST_KEY} (1 invoices)")
    page.get_by_role("button", name="Reset", exact=True).click()
    dialog = page.get_by_role("dialog")
    assert f"Maast tenant {MAAST_KEY}" in dialog.text_content()
    dialog.get_by_role("button", name="Confirm reset").click()
    page.wait_for_selector("#reset-done")
    assert "1 tenant(s) removed" in page.text_content("#reset-done")

    dash.open(f"invoices?provider=maast&tenant={MAAST_KEY}")
    page.get_by_role("heading", name="0 invoices").wait_for()
    assert dash.http.get("/platform/invoice", headers=MAAST).json()["data"] == []


def test_the_checkout_page_shows_what_is_paid_for_and_the_result(dash: Dashboard) -> None:
    invoice_id = dash.maast_invoice("WEB-6001", partial=False)
    link = dash.http.get(f"/platform/invoice/{invoice_id}/detail",
                         headers=MAAST).json()["data"]["invoice_link"]
    page = dash.page
    page.goto(link)
    assert page.get_by_role("cell", name="Widget").is_visible()
    assert page.text_content("#total") == "25.50 USD"
    assert page.get_by_label("Amount (USD)").get_attribute("readonly") is not None
    page.get_by_role("button", name="Use test card 4000000000009995 (insufficient funds)").click()
    page.get_by_role("button", name="Pay 25.50 USD").click()
    assert page.text_content("#error") == "Your card has insufficient funds."
    page.get_by_role("link", name="Back to the invoice").click()
    page.get_by_role("button", name="Pay 25.50 USD").click()
    assert page.text_content("#notice").startswith("Payment approved")
    assert page.text_content("#card") == "VISA 411111******1111"
    assert len(page.text_content("#approval")) == 6
    page.goto(link)
    assert page.text_content("#status") == "PAID"
    assert page.text_content("#reason").endswith("This invoice has been paid in full.")
