"""The hosted checkout reads card numbers and amounts in ASCII digits only: the declined test
card written in fullwidth or superscript digits is refused, never approved and charged."""

from __future__ import annotations

import pytest
from maast_support import DECLINED_CARD, Maast, card_pay
from state_support import everything

FULLWIDTH = DECLINED_CARD.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
ARABIC_INDIC = DECLINED_CARD.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
SUPERSCRIPT = "4²11111111111111"


def sent_invoice(api: Maast) -> tuple[int, str]:
    invoice_id = api.create(checkout_settings={"allow_partial_payments": True})["invoice_id"]
    api.send(invoice_id)
    return invoice_id, api.token(invoice_id)


@pytest.mark.parametrize("card", [FULLWIDTH, ARABIC_INDIC, SUPERSCRIPT,
                                  "4111 1111 1111 111¹"])
def test_unicode_digit_cards_are_invalid_not_charged(api: Maast, card: str) -> None:
    invoice_id, token = sent_invoice(api)
    before = everything(api.http)  # type: ignore[arg-type]
    response = card_pay(api.http, token, card_number=card)
    assert response.status_code == 400, response.text
    assert response.json() == {"error": {"code": "invalid_card",
                                         "message": "the card number is not valid"}}
    page = api.http.request("POST", f"/checkout/{token}",
                            content=f"card_number={card}&amount=25.50".encode(),
                            headers={"content-type": "application/x-www-form-urlencoded"})
    assert page.status_code == 402
    assert "the card number is not valid" in page.text and "Payment approved" not in page.text
    assert everything(api.http) == before  # type: ignore[arg-type]
    assert api.detail(invoice_id)["status"] == "OUTSTANDING"


@pytest.mark.parametrize("amount", ["１０", "1²", "١٠", "1e99999999999999999999", "1_0"])
def test_unicode_digit_amounts_are_invalid(api: Maast, amount: str) -> None:
    invoice_id, token = sent_invoice(api)
    before = everything(api.http)  # type: ignore[arg-type]
    response = card_pay(api.http, token, amount=amount)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_amount"
    assert everything(api.http) == before  # type: ignore[arg-type]
    assert api.detail(invoice_id)["amt_paid"] == 0


def test_ascii_cards_still_behave(api: Maast) -> None:
    _, token = sent_invoice(api)
    declined = card_pay(api.http, token, card_number=DECLINED_CARD)
    assert declined.status_code == 402 and declined.json()["error"]["code"] == "card_declined"
    approved = card_pay(api.http, token, card_number="4111 1111 1111 1111", amount="10")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
