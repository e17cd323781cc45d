"""Property-based walk through the TransportOne lifecycle over HTTP, against a model.

Every step is a real request (control-plane transitions, cancels, charge rejection, bulk
charges, ERP payments, idempotent replays); after each one the invariants are checked through
the API: states and totals match the model, the total is the sum of the billable charges,
money only moves on approved invoices and never beyond the total. Read-only rules compare the
charges and the pending-approval list with the model.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from invoice_sandbox.main import create_app
from invoice_sandbox.settings import Settings
from sandbox_databases import fresh_db
from transportone_kit import BILLING, SANDBOX, login

EDITABLE = {"DRAFT", "SUBMITTED", "REJECTED"}
PAYABLE = {"APPROVED", "PARTIALLY_PAID"}
APPROVED_FAMILY = {"APPROVED", "PARTIALLY_PAID", "PAID"}
COUNTED = {"BILLABLE", "APPROVED"}

amounts = st.integers(min_value=0, max_value=500_000)  # paise


def rupees(minor: int) -> float:
    return minor / 100


def paise(value: float) -> int:
    return round(value * 100)


@dataclass
class Model:
    state: str
    charges: dict[str, list[Any]] = field(default_factory=dict)  # code -> [paise, status]
    paid: int = 0

    @property
    def total(self) -> int:
        return sum(amount for amount, status in self.charges.values() if status in COUNTED)


class TransportOneLifecycle(RuleBasedStateMachine):
    invoices = Bundle("invoices")

    client: TestClient  # one sandbox for the whole run, reset before each example

    def __init__(self) -> None:
        super().__init__()
        assert self.client.post("/_sandbox/reset").status_code == 200
        self.model: dict[str, Model] = {}
        self.made = 0
        self.last_post: tuple[str, dict[str, str], Any, bytes] | None = None

    @initialize()
    def sign_in(self) -> None:
        self.headers = login(self.client)

    def post(self, path: str, body: Any) -> Any:
        """A billing POST under a fresh request id; successes are kept for the replay rule."""
        headers = {**self.headers, "x-coreos-request-id": str(uuid.uuid4())}
        response = self.client.post(f"{BILLING}{path}", headers=headers, json=body)
        assert response.status_code < 500, response.text
        if response.status_code == 200:
            self.last_post = (path, headers, body, response.content)
        return response

    def control(self, code: str, action: str) -> Any:
        return self.client.post(f"{SANDBOX}/acme/invoices/{code}/{action}")

    # --- rules -----------------------------------------------------------------------------

    @rule(target=invoices, charge_amounts=st.lists(amounts, max_size=3),
          state=st.sampled_from(["DRAFT", "SUBMITTED"]))
    def create(self, charge_amounts: list[int], state: str) -> str:
        self.made += 1
        code = f"INV-{self.made:03d}"
        charges = {f"{code}-C{i}": [a, "BILLABLE"] for i, a in enumerate(charge_amounts)}
        response = self.client.post(f"{SANDBOX}/acme/invoices", json={
            "uniqueCode": code, "invoiceNumber": f"N-{code}", "transporterId": "TRN-1",
            "transporterName": "Road Runner", "state": state,
            "charges": [{"uniqueCode": c, "chargeHead": "Freight Charges",
                         "amount": rupees(a)} for c, (a, _) in charges.items()]})
        assert response.status_code == 201, response.text
        self.model[code] = Model(state, charges)
        return code

    @rule(code=invoices)
    def submit(self, code: str) -> None:
        invoice = self.model[code]
        response = self.control(code, "submit")
        if invoice.state in ("DRAFT", "REJECTED"):
            assert response.status_code == 200, response.text
            invoice.state = "SUBMITTED"
        else:
            assert response.status_code == 409

    def _approve(self, invoice: Model) -> None:
        invoice.state = "APPROVED"
        for entry in invoice.charges.values():
            if entry[1] == "BILLABLE":
                entry[1] = "APPROVED"

    @rule(code=invoices)
    def approve(self, code: str) -> None:
        invoice = self.model[code]
        response = self.control(code, "approve")
        if invoice.state == "SUBMITTED":
            assert response.status_code == 200, response.text
            self._approve(invoice)
        else:
            assert response.status_code == 409

    @rule(code=invoices, picks=st.sets(st.integers(0, 2), max_size=3),
          approve_rest=st.booleans())
    def review(self, code: str, picks: set[int], approve_rest: bool) -> None:
        invoice = self.model[code]
        names = sorted(invoice.charges)
        rejected = [names[i] for i in sorted(picks) if i < len(names)]
        response = self.post("/charge/reject", {
            "invoiceId": code, "approveRemaining": approve_rest,
            "rejectedCharges": [{"uniqueCode": c, "shipperRejectionReason": "no"}
                                for c in rejected]})
        if not rejected and not approve_rest:
            assert response.status_code == 400
            return
        if invoice.state != "SUBMITTED":
            assert response.status_code == 403
            return
        assert response.status_code == 200, response.text
        for name in rejected:
            invoice.charges[name][1] = "REJECTED"
        remaining = [e for e in invoice.charges.values() if e[1] == "BILLABLE"]
        if approve_rest and (remaining or not rejected):
            self._approve(invoice)
        else:
            invoice.state = "REJECTED"
        assert response.json()["data"]["invoiceState"] == invoice.state

    @rule(code=invoices, by_path=st.booleans())
    def cancel(self, code: str, by_path: bool) -> None:
        invoice = self.model[code]
        if by_path:
            response = self.post(f"/transporter/cancel-invoice/{code}", None)
        else:
            response = self.post("/transporter/cancel-invoice", {"invoiceId": code})
        if invoice.state in EDITABLE:
            assert response.json()["data"] == {"success": True, "invoiceId": code,
                                               "message": "Invoice cancelled successfully"}
            invoice.state = "CANCELLED"
        else:
            assert response.status_code == 403
            assert response.json()["errorCode"] == "INVOICE_CANNOT_BE_CANCELLED"

    @rule(code=invoices, amount=st.integers(min_value=1, max_value=600_000))
    def pay(self, code: str, amount: int) -> None:
        invoice = self.model[code]
        response = self.post("/payments", {"invoiceId": code, "appliedAmount": rupees(amount)})
        if invoice.state not in PAYABLE:
            assert response.status_code == 403
        elif amount > invoice.total - invoice.paid:
            assert response.status_code == 400
        else:
            assert response.status_code == 200, response.text
            invoice.paid += amount
            invoice.state = "PAID" if invoice.paid == invoice.total else "PARTIALLY_PAID"

    @rule(code=invoices, amount=amounts)
    def add_charge(self, code: str, amount: int) -> None:
        invoice = self.model[code]
        name = f"{code}-X{len(invoice.charges)}"
        response = self.post("/bulk-process-charge", {"create": [
            {"uniqueCode": name, "chargeHead": "Toll Charges", "amount": rupees(amount),
             "invoiceId": code}]})
        if invoice.state in EDITABLE:
            assert response.status_code == 200, response.text
            invoice.charges[name] = [amount, "BILLABLE"]
        else:
            assert response.status_code == 403

    @rule(code=invoices, pick=st.integers(0, 5), amount=amounts)
    def revise_charge(self, code: str, pick: int, amount: int) -> None:
        invoice = self.model[code]
        if not invoice.charges:
            return
        name = sorted(invoice.charges)[pick % len(invoice.charges)]
        response = self.post("/bulk-process-charge",
                             {"update": [{"uniqueCode": name, "amount": rupees(amount)}]})
        if invoice.state in EDITABLE:
            assert response.status_code == 200, response.text
            entry = invoice.charges[name]
            entry[0] = amount
            if entry[1] == "REJECTED":
                entry[1] = "BILLABLE"
        else:
            assert response.status_code == 403

    @rule()
    def pending_approval_lists_the_submitted(self) -> None:
        pending = self.client.get(f"{BILLING}/invoice/pending-approval", params={"size": 1000},
                                  headers=self.headers).json()["data"]
        assert {i["uniqueCode"] for i in pending["invoices"]} == \
            {code for code, m in self.model.items() if m.state == "SUBMITTED"}
        assert pending["total"] == len(pending["invoices"])

    @precondition(lambda self: self.last_post is not None)
    @rule(other_body=st.booleans())
    def repeat_last_post(self, other_body: bool) -> None:
        assert self.last_post is not None
        path, headers, body, content = self.last_post
        if other_body:
            response = self.client.post(f"{BILLING}{path}", headers=headers,
                                        json={"different": True})
            assert response.status_code in (400, 409)  # 400 when the new body is invalid
            response = self.client.post(f"{BILLING}{path}", headers=headers,
                                        json={**(body or {}), "invoiceId": "INV-OTHER"})
            assert response.status_code == 409
            assert response.json()["errorCode"] == "DUPLICATE_REQUEST_ID"
        else:
            response = self.client.post(f"{BILLING}{path}", headers=headers, json=body)
            assert response.status_code == 200 and response.content == content

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def invoices_match_the_model(self) -> None:
        if not hasattr(self, "headers"):
            return
        response = self.client.get(f"{BILLING}/shipper/invoice", params={"size": 1000},
                                   headers=self.headers)
        shown = {i["uniqueCode"]: i for i in response.json()["data"]["invoices"]}
        assert set(shown) == set(self.model)
        for code, invoice in self.model.items():
            row = shown[code]
            assert row["state"] == invoice.state, code
            total, paid = paise(row["totalAmount"]), paise(row["paidAmount"])
            assert total == invoice.total, code
            assert paid == invoice.paid <= total
            if invoice.state == "PAID":
                assert paid == total
            elif invoice.state == "PARTIALLY_PAID":
                assert 0 < paid < total
            else:
                assert paid == 0
            assert (row["approvedAt"] is not None) == (invoice.state in APPROVED_FAMILY)

    @rule()
    def charges_match_the_model(self) -> None:
        response = self.client.get(f"{BILLING}/shipper/charge", params={"size": 1000},
                                   headers=self.headers)
        shown = {c["uniqueCode"]: c for c in response.json()["data"]["charges"]}
        expected = {name: (code, entry) for code, invoice in self.model.items()
                    for name, entry in invoice.charges.items()}
        assert set(shown) == set(expected)
        for name, (code, (amount, status)) in expected.items():
            assert shown[name]["invoiceId"] == code
            assert paise(shown[name]["amount"]) == amount and shown[name]["status"] == status


@pytest.fixture(scope="module", autouse=True)
def sandbox(request: pytest.FixtureRequest) -> Iterator[None]:
    # strict request ids: the machine checks that a reused id with another body changes nothing
    with TestClient(create_app(Settings(db=fresh_db(request, ":memory:"), fixtures=None,
                                        transportone_idempotency="strict")),
                    raise_server_exceptions=False) as client:
        TransportOneLifecycle.client = client
        yield


TransportOneLifecycle.TestCase.settings = settings(
    max_examples=25, stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_transportone_lifecycle = TransportOneLifecycle.TestCase
