"""Generated invoice numbers count ASCII digits only: an invoice numbered `²` (or in another
script's digits) is kept as written and never breaks later auto-numbered creations."""

from __future__ import annotations

import pytest
from harvest_support import Harvest, invoice_xml


@pytest.mark.parametrize("number", ["²", "١٢", "１０", "7²"])
def test_unicode_digit_numbers_do_not_break_auto_numbering(account: Harvest, number: str) -> None:
    first = account.create_invoice()
    assert account.invoice(first)["number"] == "1"
    odd = account.create_invoice(invoice_xml(number=number))
    assert account.invoice(odd)["number"] == number
    # Before: int("²") raised inside the generator, so every later creation was a 500.
    for expected in ("2", "3"):
        response = account.post("/invoices", invoice_xml())
        assert response.status_code == 201, response.text
        created = int(response.headers["Location"].rsplit("/", 1)[1])
        assert account.invoice(created)["number"] == expected
