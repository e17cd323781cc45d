"""The seven operations and their rules: answers as SmartLink shapes them, every state rule,
every refusal writing nothing."""

from __future__ import annotations

import re

import pytest
from payone_support import (
    DECLINED_CARD,
    PayOne,
    card_pay,
    item,
    snapshot,
    token_of,
)

LINK = re.compile(r"^http://127\.0\.0\.1:8080/checkout/[0-9a-f]{32}$")
INQUIRY_KEYS = {"amount", "qrCode", "merchantID", "cardType", "invoiceID", "currency",
                "paymentLink", "type", "invoiceStatus", "expiryDateTime", "cardNumber",
                "authenticationToken"}


def refused(shop: PayOne, operation: str, document: dict[str, object], code: str) -> None:
    """The call fails with `code` and changes nothing."""
    before = snapshot(shop.http)
    shop.error(operation, document, code)
    assert snapshot(shop.http) == before


# --- create / inquire ----------------------------------------------------------------------

def test_create_answers_one_element_per_invoice(shop: PayOne) -> None:
    created = shop.create(item("A", amount="15000"), item("B", amount="1", currency="840"))
    assert [c["invoiceID"] for c in created] == ["A", "B"]
    first = created[0]
    assert set(first) == {"invoiceID", "amount", "currency", "paymentLink", "qrCode", "type",
                          "invoiceStatus", "expiryDateTime"}
    assert first["amount"] == "15000" and first["currency"] == "682"
    assert created[1]["amount"] == "1" and created[1]["currency"] == "840"
    assert first["type"] == "Payment" and first["invoiceStatus"] == "NEW"
    assert first["expiryDateTime"] == "05-03-2026 13:30:00"  # NOW + 3 days, in UTC+3
    assert LINK.match(first["paymentLink"]) and first["paymentLink"] != created[1]["paymentLink"]


def test_pre_auth_invoices_have_their_own_type(shop: PayOne) -> None:
    created = shop.create_one("PA-1", pre_auth=True)
    assert created["type"] == "PreAuth"
    assert shop.inquire("PA-1")["type"] == "PreAuth"


def test_inquire_an_unpaid_invoice(shop: PayOne) -> None:
    link = shop.create_one("INV-7", amount="100", expiryperiod="1D")["paymentLink"]
    body = shop.inquire("INV-7")
    assert set(body) == INQUIRY_KEYS
    assert body == {
        "amount": "100", "qrCode": "", "merchantID": shop.merchant, "cardType": "",
        "invoiceID": "INV-7", "currency": 682, "paymentLink": link, "type": "Payment",
        "invoiceStatus": "NEW", "expiryDateTime": "03-03-2026 13:30:00", "cardNumber": "",
        "authenticationToken": shop.token,
    }


def test_inquire_writes_nothing(shop: PayOne) -> None:
    shop.create_one()
    before = snapshot(shop.http)
    shop.inquire("INV-1")
    assert snapshot(shop.http) == before


def test_the_payment_link_is_the_hosted_checkout(shop: PayOne) -> None:
    link = shop.create_one(amount="12500", currency="400")["paymentLink"]
    page = shop.http.get(f"/checkout/{token_of(link)}")
    assert page.status_code == 200
    assert 'id="status">NEW<' in page.text
    assert "12.500 JOD" in page.text  # minor units of a 3-decimal currency


# --- payments at the checkout -------------------------------------------------------------

def test_a_card_payment_fills_the_card_fields(shop: PayOne) -> None:
    shop.create_one(amount="2500")
    r = shop.pay("INV-1")
    assert r.status_code == 200 and r.json()["invoice_status"] == "PAID"
    body = shop.inquire("INV-1")
    assert set(body) == INQUIRY_KEYS | {"rrn", "approvalCode"}
    assert body["invoiceStatus"] == "PAID"
    assert body["cardNumber"] == "411111******1111" and body["cardType"] == "VISA"
    assert re.fullmatch(r"\d{12}", body["rrn"]) and re.fullmatch(r"\d{6}", body["approvalCode"])
    assert body["rrn"] == r.json()["rrn"] and body["approvalCode"] == r.json()["approval_code"]


def test_paying_on_the_hosted_page_form(shop: PayOne) -> None:
    link = shop.create_one(amount="2500")["paymentLink"]
    r = shop.http.post(f"/checkout/{token_of(link)}", data={"card_number": "5555555555554444"})
    assert r.status_code == 200 and "Payment approved" in r.text
    body = shop.inquire("INV-1")
    assert body["invoiceStatus"] == "PAID" and body["cardType"] == "MASTERCARD"


def test_a_pre_auth_payment_authorizes(shop: PayOne) -> None:
    shop.create_one("PA-1", pre_auth=True)
    assert shop.pay("PA-1").json()["invoice_status"] == "AUTHORIZED"
    body = shop.inquire("PA-1")
    assert body["invoiceStatus"] == "AUTHORIZED" and body["cardNumber"] == "411111******1111"


def test_a_declined_card_changes_nothing(shop: PayOne) -> None:
    shop.create_one()
    before = snapshot(shop.http)
    r = shop.pay("INV-1", DECLINED_CARD)
    assert r.status_code == 402
    assert snapshot(shop.http) == before
    body = shop.inquire("INV-1")
    assert body["invoiceStatus"] == "NEW" and body["cardNumber"] == "" and "rrn" not in body


def test_smartlink_invoices_are_paid_in_full_and_once(shop: PayOne) -> None:
    link = shop.create_one(amount="1000")["paymentLink"]
    before = snapshot(shop.http)
    r = shop.http.post(f"/_sandbox/checkout/{token_of(link)}/pay", json={"amount": "5.00"})
    assert r.status_code == 409
    assert snapshot(shop.http) == before
    assert card_pay(shop.http, link).status_code == 200
    assert card_pay(shop.http, link).status_code == 409


# --- deactivate / activate ------------------------------------------------------------------

def test_deactivate_and_activate(shop: PayOne) -> None:
    link = shop.create_one()["paymentLink"]
    r = shop.deactivate("INV-1")
    assert r.json() == {"invoiceID": "INV-1", "status": "Invoice is deactivated successfully",
                        "authenticationToken": shop.token}
    assert shop.status("INV-1") == "INACTIVE"
    assert card_pay(shop.http, link).status_code == 409  # an inactive invoice is not payable
    r = shop.activate("INV-1")
    assert r.json() == {"invoiceID": "INV-1", "status": "Invoice is activated successfully",
                        "authenticationToken": shop.token}
    assert shop.status("INV-1") == "NEW"
    assert card_pay(shop.http, link).status_code == 200


def test_deactivate_twice_and_activate_a_new_invoice_are_00008(shop: PayOne) -> None:
    shop.create_one()
    refused(shop, "activateInvoice", shop.document(invoiceID="INV-1"), "00008")
    shop.deactivate("INV-1")
    refused(shop, "deactivateInvoice", shop.document(invoiceID="INV-1"), "00008")


@pytest.mark.parametrize("pre_auth", [False, True])
def test_paid_or_authorized_invoices_cannot_be_switched(shop: PayOne, pre_auth: bool) -> None:
    shop.create_one(pre_auth=pre_auth)
    shop.pay("INV-1")
    for operation in ("deactivateInvoice", "activateInvoice"):
        refused(shop, operation, shop.document(invoiceID="INV-1"), "00008")
    assert shop.status("INV-1") == ("AUTHORIZED" if pre_auth else "PAID")


# --- complete -------------------------------------------------------------------------------

def capture(invoice_id: str = "PA-1", amount: str = "100", currency: str = "682") -> dict[str, str]:
    return {"invoiceID": invoice_id, "amount": amount, "currency": currency}


def authorized(shop: PayOne, invoice_id: str = "PA-1", amount: str = "100") -> None:
    shop.create_one(invoice_id, pre_auth=True, amount=amount)
    assert shop.pay(invoice_id).status_code == 200


def test_complete_captures_an_authorized_invoice(shop: PayOne) -> None:
    authorized(shop)
    r = shop.complete(capture())
    assert r.status_code == 200
    assert r.json() == {"invoicesDetails": [{
        "invoiceID": "PA-1", "amount": "100", "currency": "682", "invoiceStatus": "PAID",
        "status": "Invoice is completed successfully"}]}
    assert shop.status("PA-1") == "PAID"


def test_complete_several_invoices_at_once_or_none(shop: PayOne) -> None:
    authorized(shop, "PA-1")
    authorized(shop, "PA-2")
    refused(shop, "completeInvoice", shop.document(invoicesDetails=[
        capture("PA-1"), capture("PA-2", amount="101")]), "00043")
    assert shop.status("PA-1") == "AUTHORIZED"
    body = shop.complete(capture("PA-1"), capture("PA-2", amount="40")).json()
    assert [d["invoiceStatus"] for d in body["invoicesDetails"]] == ["PAID", "PAID"]


def test_complete_rules(shop: PayOne) -> None:
    shop.create_one("NOT-PAID", pre_auth=True)
    shop.create_one("STANDARD")
    shop.pay("STANDARD")
    authorized(shop, "PA-1")

    def fails(detail: dict[str, str], code: str) -> None:
        refused(shop, "completeInvoice", shop.document(invoicesDetails=[detail]), code)

    fails(capture("NOT-PAID"), "00035")
    fails(capture("STANDARD"), "00035")
    fails(capture("UNKNOWN"), "00042")
    fails(capture(amount="101"), "00043")
    fails(capture(currency="840"), "00044")
    fails(capture(currency="840", amount="101"), "00044")  # currency is compared first
    fails({"invoiceID": "PA-1", "amount": "100"}, "00039")
    fails({"invoiceID": "PA-1", "currency": "682"}, "00002")
    fails({"amount": "100", "currency": "682"}, "00009")
    fails(capture(amount="1.00"), "00004")
    fails(capture(amount="0"), "00004")
    fails(capture(currency="SAR"), "00005")
    refused(shop, "completeInvoice", shop.document(invoicesDetails=[capture(), capture()]),
            "00020")
    refused(shop, "completeInvoice", shop.document(invoicesDetails=[]), "00024")
    assert shop.status("PA-1") == "AUTHORIZED"
    shop.complete(capture())
    fails(capture(), "00036")
    body = shop.error("completeInvoice", shop.document(invoicesDetails=[capture()]), "00036")
    assert body["ErrorMessage"] == "Transaction Is Already Completed"


def test_a_partial_capture_bounds_the_refund(shop: PayOne) -> None:
    authorized(shop, amount="1000")
    shop.complete(capture(amount="600"))
    refused(shop, "refundInvoice", shop.document(invoiceID="PA-1", amount="601"), "00032")
    r = shop.refund("PA-1")
    assert r.json()["amount"] == "600" and r.json()["invoiceStatus"] == "REFUNDED"


# --- refund ---------------------------------------------------------------------------------

def test_refund_a_paid_invoice(shop: PayOne) -> None:
    shop.create_one(amount="5000")
    shop.pay("INV-1")
    r = shop.refund("INV-1")
    assert r.status_code == 200
    assert r.json() == {"invoiceID": "INV-1", "status": "Invoice is refunded successfully",
                        "authenticationToken": shop.token, "amount": "5000",
                        "invoiceStatus": "REFUNDED"}
    body = shop.inquire("INV-1")
    assert body["invoiceStatus"] == "REFUNDED" and body["cardNumber"] == "411111******1111"
    refused(shop, "refundInvoice", shop.document(invoiceID="INV-1"), "00030")


def test_a_partial_refund(shop: PayOne) -> None:
    shop.create_one(amount="5000")
    shop.pay("INV-1")
    refused(shop, "refundInvoice", shop.document(invoiceID="INV-1", amount="5001"), "00032")
    for bad in ("1.5", "0", "-1", "abc"):
        refused(shop, "refundInvoice", shop.document(invoiceID="INV-1", amount=bad), "00004")
    assert shop.refund("INV-1", "1200").json()["amount"] == "1200"
    assert shop.status("INV-1") == "REFUNDED"


def test_refund_rules(shop: PayOne) -> None:
    shop.create_one("UNPAID")
    shop.create_one("INACTIVE")
    shop.deactivate("INACTIVE")
    authorized(shop, "PA-1")
    refused(shop, "refundInvoice", shop.document(invoiceID="UNPAID"), "00030")
    refused(shop, "refundInvoice", shop.document(invoiceID="INACTIVE"), "00030")
    body = shop.error("refundInvoice", shop.document(invoiceID="PA-1"), "00038")
    assert body["ErrorMessage"] == "Pre-Authorized Invoice is not suitable for Refund"
    refused(shop, "refundInvoice", shop.document(invoiceID="GONE"), "00028")
    shop.complete(capture())
    assert shop.refund("PA-1").json()["invoiceStatus"] == "REFUNDED"


def test_refunds_waiting_for_approval(shop: PayOne) -> None:
    shop.create_one(amount="5000")
    shop.pay("INV-1")
    r = shop.http.post(f"/_sandbox/payone/merchants/{shop.merchant}",
                       json={"refund_approval": True})
    assert r.status_code == 200 and r.json()["refund_approval"] is True
    body = shop.refund("INV-1", "2000").json()
    assert body["status"] == "Invoice refund is pending approval"
    assert body["invoiceStatus"] == "PENDING_REFUND_APPROVAL"
    assert shop.status("INV-1") == "PENDING_REFUND_APPROVAL"
    refused(shop, "refundInvoice", shop.document(invoiceID="INV-1"), "00030")
    approve = f"/_sandbox/payone/merchants/{shop.merchant}/invoices/INV-1/approve-refund"
    r = shop.http.post(approve)
    assert r.status_code == 200
    assert r.json() == {"invoiceID": "INV-1", "invoiceStatus": "REFUNDED", "amount": "2000"}
    assert shop.status("INV-1") == "REFUNDED"
    before = snapshot(shop.http)
    assert shop.http.post(approve).status_code == 409
    assert shop.http.post(approve.replace("INV-1", "NOPE")).status_code == 404
    assert shop.http.post(approve.replace(shop.merchant, "nobody")).status_code == 404
    assert snapshot(shop.http) == before
