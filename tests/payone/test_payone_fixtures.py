"""The bundled demo merchant: invoices in every state, made through the API's own code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from invoice_sandbox.core.fixtures import FixtureError
from invoice_sandbox.main import create_app
from invoice_sandbox.settings import BUNDLED_FIXTURES, Settings
from payone_support import DEMO_MERCHANT, DEMO_TOKEN, MERCHANT, TOKEN, PayOne, item

DEMO_STATES = {
    "DEMO-1001": ("NEW", "Payment"),
    "DEMO-1002": ("PAID", "Payment"),
    "DEMO-1003": ("INACTIVE", "Payment"),
    "DEMO-1004": ("AUTHORIZED", "PreAuth"),
    "DEMO-1005": ("EXPIRED", "Payment"),
    "DEMO-1006": ("REFUNDED", "Payment"),
    "DEMO-1007": ("PENDING_REFUND_APPROVAL", "Payment"),
    "DEMO-1008": ("PAID", "PreAuth"),
    "DEMO-1009": ("NEW", "Payment"),
}


def test_the_demo_merchant_has_invoices_in_every_state(demo: PayOne) -> None:
    for invoice_id, (status, kind) in DEMO_STATES.items():
        body = demo.inquire(invoice_id)
        assert (body["invoiceStatus"], body["type"]) == (status, kind), invoice_id
        paid = status not in ("NEW", "INACTIVE", "EXPIRED")
        assert (body["cardNumber"] != "") is paid, invoice_id
    assert demo.inquire("DEMO-1001")["qrCode"] != ""
    assert demo.inquire("DEMO-1008")["cardType"] == "MASTERCARD"
    assert demo.inquire("DEMO-1009")["currency"] == 400


def test_the_demo_invoices_obey_the_rules(demo: PayOne) -> None:
    assert demo.pay("DEMO-1001").status_code == 200
    assert demo.activate("DEMO-1003").json()["status"] == "Invoice is activated successfully"
    demo.complete({"invoiceID": "DEMO-1004", "amount": "12000", "currency": "682"})
    assert demo.status("DEMO-1004") == "PAID"
    assert demo.pay("DEMO-1005").status_code == 409
    demo.error("refundInvoice", demo.document(invoiceID="DEMO-1008", amount="25001"), "00032")
    assert demo.refund("DEMO-1008", "25000").json()["invoiceStatus"] == "REFUNDED"
    r = demo.http.post(f"/_sandbox/payone/merchants/{DEMO_MERCHANT}/invoices/DEMO-1007/"
                       "approve-refund")
    assert r.json()["amount"] == "2000" and demo.status("DEMO-1007") == "REFUNDED"
    demo.error("createInvoice", demo.document(invoicesDetails=[item("DEMO-1001")]), "00010")


def test_reset_brings_the_demo_back(demo: PayOne) -> None:
    demo.pay("DEMO-1001")
    other = PayOne(demo.http, MERCHANT, TOKEN)
    other.create_one()
    r = demo.http.post("/_sandbox/reset", params={"provider": "payone"})
    assert r.status_code == 200
    assert demo.status("DEMO-1001") == "NEW"
    other.error("inquireInvoice", other.document(invoiceID="INV-1"), "00028")


def test_strict_mode_serves_the_demo_merchant_only(make_client: Callable[..., TestClient]) -> None:
    http = make_client(fixtures=BUNDLED_FIXTURES, auth="strict")
    PayOne(http, DEMO_MERCHANT, DEMO_TOKEN).create_one("STRICT-1")
    stranger = PayOne(http, MERCHANT, TOKEN)
    stranger.error("createInvoice", stranger.document(invoicesDetails=[item()]), "00007")


@pytest.mark.parametrize(("invoice", "message"), [
    ('invoiceID = "A"\namount = "x"\ncurrency = "682"\npaymentDescription = "d"\n'
     'customerEmailAddress = "a@example.com"\nexpiryperiod = "1D"\n', "00004"),
    ('state = "SHIPPED"\ninvoiceID = "A"\n', "state must be one of"),
    ('state = "AUTHORIZED"\ninvoiceID = "A"\n', "only a pre_auth invoice"),
    ('state = "EXPIRED"\ninvoiceID = "A"\namount = "1"\ncurrency = "682"\n'
     'paymentDescription = "d"\ncustomerEmailAddress = "a@example.com"\nexpiryperiod = "1D"\n',
     "ends up NEW, not EXPIRED"),
])
def test_a_broken_fixture_is_reported(tmp_path: Path, db_location: Callable[..., str],
                                      invoice: str, message: str) -> None:
    (tmp_path / "payone.toml").write_text(
        f'[[merchants]]\nmerchantID = "m"\nauthenticationToken = "t"\n'
        f"[[merchants.invoices]]\n{invoice}", encoding="utf-8")
    with pytest.raises(FixtureError, match=message):
        create_app(Settings(db=db_location(), fixtures=tmp_path))
