"""The hosted checkout page in a real browser: a customer pays a Maast invoice by card.

Needs Chromium (Debian's `chromium` package; CI installs it) and the `playwright` package, which
drives the system browser instead of downloading its own.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from invoice_sandbox.settings import BUNDLED_FIXTURES

from tests.conftest import ServedSandbox, basic

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# In CI a missing Chromium fails the run rather than skipping it.
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="Chromium is not installed")

AUTH = basic("", "maast-demo-key")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def page() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def _outstanding(server: ServedSandbox, number: str) -> dict[str, Any]:
    listed = httpx.get(f"{server.url}/platform/invoice", headers=AUTH,
                       params={"filter": f"invoice_number,EQ,{number}"}).json()
    invoice: dict[str, Any] = listed["data"][0]
    return invoice


def test_customer_pays_part_then_rest_in_the_browser(
        served: Callable[..., ServedSandbox], page: Any) -> None:
    server = served("--fixtures", str(BUNDLED_FIXTURES))
    invoice = _outstanding(server, "DEMO-1002")  # OUTSTANDING, partial payments allowed
    assert invoice["status"] == "OUTSTANDING" and invoice["amt_balance"] == 795.5

    page.goto(invoice["invoice_link"])
    assert page.text_content("#status") == "OUTSTANDING"
    assert page.text_content("#balance") == "795.50 USD"
    page.fill("#amount", "95.50")
    page.click("#pay")
    assert "Payment approved" in page.text_content("#notice")
    assert page.text_content("#balance") == "700.00 USD"

    page.fill("#card_number", "4000000000000002")  # a declined test card
    page.fill("#amount", "700.00")
    page.click("#pay")
    assert page.text_content("#error") == "Your card was declined."
    assert page.text_content("#balance") == "700.00 USD"

    page.fill("#card_number", "4111 1111 1111 1111")
    page.fill("#amount", "700.00")
    page.click("#pay")
    assert page.text_content("#status") == "PAID"
    assert page.query_selector("#pay") is None  # nothing left to pay

    detail = httpx.get(f"{server.url}/platform/invoice/{invoice['invoice_id']}/detail",
                       headers=AUTH).json()["data"]
    assert (detail["status"], detail["amt_paid"], detail["amt_balance"]) == ("PAID", 1295.5, 0)
    payments = httpx.get(f"{server.url}/platform/invoice/{invoice['invoice_id']}/payments",
                         headers=AUTH, params={"order_by": "asc"}).json()["data"]
    cards = [p for p in payments if p["type"] == "CARD"]
    assert [p["amt_paid"] for p in cards] == [95.5, 700]
    assert all(len(p["pg_id"]) == 32 and p["tran_status"] == "A" for p in cards)


def test_unknown_link_shows_not_found(served: Callable[..., ServedSandbox], page: Any) -> None:
    server = served("--fixtures", "none")
    response = page.goto(f"{server.url}/checkout/{'0' * 32}")
    assert response.status == 404
    assert page.text_content("h1") == "Unknown payment link"
