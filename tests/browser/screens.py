"""Screenshots of the dashboard and the checkout page for the README.

    python -m tests.browser.screens            # writes docs/screenshots/*.png

Starts a sandbox with the bundled fixtures, sends it the traffic an app would, and captures the
overview, an invoice page, the journal and the checkout page at 1280x800 (plus the invoice page at
a phone's width) with Debian's Chromium. Fails if a page logs a JavaScript error.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import httpx
from invoice_sandbox.settings import BUNDLED_FIXTURES

from tests.browser.browser_kit import browser_page
from tests.conftest import ROOT, ServedSandbox, basic

OUT = ROOT / "docs" / "screenshots"
MAAST = basic("", "maast-demo-key")
PAYONE = {"merchantID": "demoMerchant", "authenticationToken": "ZGVtby1zbWFydGxpbmstdG9rZW4tMDAx"}


def traffic(http: httpx.Client) -> str:
    """What an app under test sends; returns the Maast invoice's id the screenshots show."""
    found = http.get("/platform/invoice", headers=MAAST,
                     params={"filter": "invoice_number,EQ,DEMO-1002"}).json()["data"][0]
    http.get(f"/platform/invoice/{found['invoice_id']}/detail", headers=MAAST)
    http.get("/platform/invoice/1/detail", headers=basic("", ""))  # a forgotten key: 401
    form = urlencode({"invoice": json.dumps({**PAYONE, "invoiceID": "DEMO-1001"})})
    http.post("/URL2PayAdminWeb/rest/InvoicesService/inquireInvoice", content=form,
              headers={"content-type": "application/x-www-form-urlencoded"})
    http.get("/invoices", headers={**basic("owner@demo.example", "harvest-demo"),
                                   "Host": "demo.localhost", "Accept": "application/json"})
    token = found["invoice_link"].rsplit("/", 1)[1]
    http.post(f"/_sandbox/checkout/{token}/pay", json={"amount": "95.50"})
    http.get(f"/platform/invoice/{found['invoice_id']}/payments", headers=MAAST)
    return str(found["invoice_id"])


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = ServedSandbox(Path(tmp) / "screens.sqlite", "--fixtures", str(BUNDLED_FIXTURES))
        server.start()
        try:
            with httpx.Client(base_url=server.url, timeout=10) as http:
                invoice_id = traffic(http)
                link = http.get(f"/platform/invoice/{invoice_id}/detail",
                                headers=MAAST).json()["data"]["invoice_link"]
            ui = f"{server.url}/_sandbox/ui#/"
            with browser_page(server.url) as (page, guard):
                page.goto(ui)
                page.get_by_role("heading", name="Tenants").wait_for()
                page.locator("details", has_text="Credentials").nth(1).locator("summary").click()
                page.screenshot(path=OUT / "overview.png", full_page=True)

                page.goto(f"{ui}invoice/maast/{invoice_id}")
                page.get_by_role("heading", name="Lifecycle").wait_for()
                page.screenshot(path=OUT / "invoice.png")

                page.goto(f"{ui}journal")
                page.locator("#live.on").wait_for()
                page.locator(".journal-list li", has_text="/payments").locator("summary").click()
                page.screenshot(path=OUT / "journal.png")

                page.goto(link)
                page.get_by_role("heading", name="Pay by card").wait_for()
                page.screenshot(path=OUT / "checkout.png", full_page=True)
                if guard.problems:
                    print("\n".join(guard.problems), file=sys.stderr)
                    return 1
            with browser_page(server.url, width=390, height=844) as (page, guard):
                page.goto(f"{ui}invoice/maast/{invoice_id}")
                page.get_by_role("heading", name="Lifecycle").wait_for()
                page.screenshot(path=OUT / "invoice-phone.png")
        finally:
            server.stop()
    print(f"screenshots written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
