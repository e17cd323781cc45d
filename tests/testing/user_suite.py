"""A user's test suite, run by pytester in the plugin tests: every fixture and client method,
the way an integration test suite uses them. Not collected here (no test_ prefix)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
import pytest
from invoice_sandbox import SandboxClient, SandboxError

PAYONE = "/URL2PayAdminWeb/rest/InvoicesService/"
INVOICE = {
    "customer_id": "CUST1", "invoice_number": "INV-1", "save_customer": True,
    "billing_contact": {"first_name": "Ada", "last_name": "Lovelace",
                        "email_address": "ada@example.com"},
    "date_invoice": "2026-03-01", "payment_terms": {"type": "DAYS", "value": "10"},
    "line_items": [{"quantity": 2, "description": "Widget", "unit_cost": 10.00}],
    "checkout_settings": {"allow_partial_payments": True},
}


def test_a_paid_invoice_a_clock_move_the_journal_and_a_fault(
        invoice_sandbox: SandboxClient) -> None:
    maast = invoice_sandbox.tenant("maast")
    assert invoice_sandbox.health()["status"] == "ok"
    invoice_sandbox.clock.set(datetime(2026, 3, 1, 9, tzinfo=UTC), freeze=True)
    with httpx.Client(base_url=invoice_sandbox.url, headers=maast.headers()) as api:
        invoice = api.post("/platform/invoice", json=INVOICE).json()["data"]
        sent = api.post(f"/platform/invoice/{invoice['invoice_id']}/send").json()["data"]
        payment = invoice_sandbox.pay(sent["invoice_link"], amount="5.00")
        assert (payment.invoice_status, payment.balance) == ("OUTSTANDING", "15.00")
        assert invoice_sandbox.pay(sent["invoice_link"]).invoice_status == "PAID"

        state = invoice_sandbox.clock.advance(timedelta(days=2))
        assert state.frozen and state.now == datetime(2026, 3, 3, 9, tzinfo=UTC)
        assert invoice_sandbox.clock.advance(3600).now == datetime(2026, 3, 3, 10, tzinfo=UTC)
        assert invoice_sandbox.clock.now() == datetime(2026, 3, 3, 10, tzinfo=UTC)
        assert invoice_sandbox.clock.unfreeze().frozen is False
        assert invoice_sandbox.clock.freeze().frozen is True

        [send] = invoice_sandbox.requests(provider="maast", method="POST", path="/send")
        assert send.status == 200 and send.response.json()["data"]["status"] == "OUTSTANDING"
        assert send.request.headers["authorization"] == "Basic [redacted]"
        assert len(invoice_sandbox.requests(since=send)) == 0
        assert invoice_sandbox.last_request_id() == send.id

        fault = invoice_sandbox.add_fault("error", provider="maast", method="GET", times=1)
        assert invoice_sandbox.fault(fault).remaining == 1
        assert api.get("/platform/invoice").status_code == 500
        assert api.get("/platform/invoice").status_code == 200
        assert invoice_sandbox.requests(status="5xx")[0].fault is not None
        assert [f.hits for f in invoice_sandbox.faults()] == [1]
        assert invoice_sandbox.remove_fault(fault).id == fault
        invoice_sandbox.add_fault("delay", ms=1)
        assert invoice_sandbox.clear_faults() == 1
        assert invoice_sandbox.clear_requests() >= 4
        assert invoice_sandbox.requests() == []


def test_errors_carry_status_and_body(invoice_sandbox: SandboxClient) -> None:
    with pytest.raises(SandboxError) as refused:
        invoice_sandbox.remove_fault(999)
    assert refused.value.status == 404 and refused.value.code == "not_found"
    with pytest.raises(SandboxError) as bad:
        invoice_sandbox.reset(provider="stripe")
    assert bad.value.status == 400 and bad.value.body["error"]["code"] == "unknown_provider"


def payone(client: SandboxClient, operation: str, field: str, doc: dict[str, object]) -> dict:
    body = urlencode({field: json.dumps(doc)})
    response = httpx.post(client.url + PAYONE + operation, content=body,
                          headers={"content-type": "application/x-www-form-urlencoded"})
    return response.json()


def test_payone_merchant_settings_refunds_and_deliveries(invoice_sandbox: SandboxClient) -> None:
    merchant = invoice_sandbox.tenant("payone")
    settings = invoice_sandbox.payone.configure(merchant.merchant_id,
                                                notification_url="http://127.0.0.1:9/hook")
    assert settings["notification_url"] == "http://127.0.0.1:9/hook"
    created = payone(invoice_sandbox, "createInvoice", "invoices", {
        **merchant.fields(), "invoicesDetails": [{
            "invoiceID": "A-1", "amount": "1000", "currency": "682",
            "paymentDescription": "Order", "customerID": "C-1",
            "customerEmailAddress": "c@example.com", "customerMobileNumber": "00966500000000",
            "language": "en", "expiryperiod": "3D", "notifyMe": "no",
            "generateQRCode": "no"}]})
    link = created["invoicesDetails"][0]["paymentLink"]
    assert invoice_sandbox.pay(link).invoice_status == "PAID"
    [delivery] = invoice_sandbox.deliveries(provider="payone")
    assert delivery.url == "http://127.0.0.1:9/hook" and "InvoiceId=A-1" in delivery.body
    assert invoice_sandbox.payone.merchant(merchant.merchant_id)["token_registered"] is True
    approved = invoice_sandbox.payone.approve_refund("demoMerchant", "DEMO-1007")
    assert approved["invoiceStatus"] == "REFUNDED"


def test_transportone_invoice_moves(invoice_sandbox: SandboxClient) -> None:
    tms = invoice_sandbox.tenant("transportone")
    charge = {"chargeHead": "Freight Charges", "chargeType": "EXPENSE", "amount": 100}
    for code in ("I-1", "I-2"):
        invoice_sandbox.transportone.create_invoice(tms.tenant, {
            "uniqueCode": code, "invoiceNumber": code, "transporterId": "TRN-1",
            "transporterName": "Road Runner",
            "charges": [{**charge, "uniqueCode": f"{code}-C"}]})
        invoice_sandbox.transportone.submit(tms.tenant, code)
    approved = invoice_sandbox.transportone.approve(tms.tenant, "I-1")
    rejected = invoice_sandbox.transportone.reject(tms.tenant, "I-2", remark="wrong rate")
    assert (approved["state"], rejected["state"]) == ("APPROVED", "REJECTED")
    invoice_sandbox.transportone.set_erp_callback(tms.tenant, "http://127.0.0.1:9/erp", "s")
    assert invoice_sandbox.transportone.erp_callback(tms.tenant)["secret_set"] is True
    assert invoice_sandbox.transportone.remove_erp_callback(tms.tenant)["url"] is None
    invoice_sandbox.transportone.set_auto_approval(tms.tenant, True, max_difference_amount=5)
    assert invoice_sandbox.transportone.auto_approval(tms.tenant)["enabled"] is True
    token = httpx.post(invoice_sandbox.url + "/core/api/v1/aaa/auth/client-credentials",
                       json={"clientId": tms.client_id, "clientSecret": tms.client_secret})
    assert token.status_code == 200  # the client is the tenant's even without x-coreos-tid


def test_every_provider_has_fresh_credentials(invoice_sandbox: SandboxClient) -> None:
    harvest = invoice_sandbox.tenant("harvest")
    who = httpx.get(invoice_sandbox.url + "/account/who_am_i",
                    headers={**harvest.headers(), "Accept": "application/json"})
    assert who.status_code == 200 and who.json()["user"]["email"] == harvest.email
    keys = {invoice_sandbox.tenant(p).tenant for p in ("maast", "payone", "harvest")}
    assert len(keys) == 3
    assert invoice_sandbox.reset(provider="harvest", tenant=harvest.tenant) == 1


def test_snapshots_restore_the_state(invoice_sandbox: SandboxClient) -> None:
    invoice_sandbox.clock.freeze()
    before = invoice_sandbox.snapshot()
    invoice_sandbox.reset()
    assert invoice_sandbox.clock.state().frozen is False
    rows = invoice_sandbox.restore(before)
    assert rows["tenants"] == 4 and invoice_sandbox.clock.state().frozen is True
    assert invoice_sandbox.snapshot(provider="maast")["scope"]["provider"] == "maast"


@pytest.mark.invoice_sandbox(reset=False)
def test_state_kept_when_asked(invoice_sandbox: SandboxClient) -> None:
    # The previous test froze the clock; a reset would have let it run.
    assert invoice_sandbox.clock.state().frozen is True


def test_reset_before_each_test(invoice_sandbox: SandboxClient) -> None:
    assert invoice_sandbox.clock.state().frozen is False
    assert invoice_sandbox.requests() == []
