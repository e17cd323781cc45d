"""Random sequences of Maast operations over HTTP against a model of the published rules.

After every step the sandbox must agree with the model, and its own numbers must hold together:
paid = sum of the listed payments, balance = total - paid, PAID exactly when a paid invoice's
balance is zero, never more paid than the total. A refused step must change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from maast_support import DECLINED_CARD, Maast, card_pay

OPEN = ("SAVED", "OUTSTANDING")
LINES = st.lists(st.tuples(st.integers(1, 3), st.integers(1, 5000)), min_size=1, max_size=3)
RATES = st.sampled_from([None, "2.345", "0.5", "10"])


def cents(value: Any) -> int:
    return int(Decimal(str(value)) * 100)


def money(minor: int) -> float:
    return float(Decimal(minor) / 100)


def total_of(lines: list[tuple[int, int]], rate: str | None) -> int:
    sub = sum(q * c for q, c in lines)
    tax = 0 if rate is None else int(
        (Decimal(sub) * Decimal(rate) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return sub + tax


def body_lines(lines: list[tuple[int, int]]) -> list[dict[str, Any]]:
    return [{"quantity": q, "unit_cost": money(c)} for q, c in lines]


@dataclass
class Model:
    status: str
    total: int
    partial: bool
    rate: str | None
    sent: bool = False
    payments: dict[int, tuple[int, str]] = field(default_factory=dict)

    @property
    def paid(self) -> int:
        return sum(amount for amount, _ in self.payments.values())

    @property
    def balance(self) -> int:
        return self.total - self.paid

    def settle(self) -> None:
        if self.balance == 0:
            self.status = "PAID"


class MaastMachine(RuleBasedStateMachine):
    http: TestClient  # set by the test

    def __init__(self) -> None:
        super().__init__()
        self.api = Maast(self.http, key=f"stateful-{uuid4().hex}")
        self.model: dict[int, Model] = {}

    # --- helpers -----------------------------------------------------------------------------

    def pick(self, data: st.DataObject) -> tuple[int, Model]:
        invoice_id = data.draw(st.sampled_from(sorted(self.model)), label="invoice")
        return invoice_id, self.model[invoice_id]

    def amount(self, data: st.DataObject, room: int) -> int:
        choices = st.integers(1, 10_000) | st.just(room + 1) | st.just(0)
        if room > 0:
            choices = choices | st.integers(1, room) | st.just(room)
        return data.draw(choices, label="amount")

    def expect(self, ok: bool, method: str, path: str, body: Any = None) -> Any:
        if ok:
            return self.api.ok(method, path, body)
        self.api.fail(method, path, body)
        return None

    # --- rules -------------------------------------------------------------------------------

    @precondition(lambda self: len(self.model) < 6)
    @rule(lines=LINES, rate=RATES, partial=st.booleans())
    def create(self, lines: list[tuple[int, int]], rate: str | None, partial: bool) -> None:
        body: dict[str, Any] = {
            "customer_id": "C1", "invoice_number": f"S-{len(self.model)}", "save_customer": True,
            "billing_contact": {"first_name": "A", "last_name": "B", "email_address": "a@b.c"},
            "line_items": body_lines(lines),
            "checkout_settings": {"allow_partial_payments": partial},
        }
        if rate is not None:
            body["sales_tax"] = {"type": "RATE", "value": float(rate)}
        data = self.api.ok("POST", "/invoice", body)
        self.model[data["invoice_id"]] = Model("SAVED", total_of(lines, rate), partial, rate)

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def send(self, data: st.DataObject) -> None:
        invoice_id, inv = self.pick(data)
        if self.expect(inv.status in OPEN, "POST", f"/invoice/{invoice_id}/send") is not None:
            inv.status, inv.sent = "OUTSTANDING", True

    @precondition(lambda self: self.model)
    @rule(data=st.data(), kind=st.sampled_from(["CASH", "CHECK", "OTHER", "CARD"]))
    def add_payment(self, data: st.DataObject, kind: str) -> None:
        invoice_id, inv = self.pick(data)
        amount = self.amount(data, inv.balance)
        ok = inv.status in OPEN and kind != "CARD" and 0 < amount <= inv.balance
        paid = self.expect(ok, "POST", f"/invoice/{invoice_id}/payments",
                           {"type": kind, "amt_paid": money(amount),
                            "date_payment": "2026-03-01"})
        if paid is not None:
            inv.payments[paid["payment_id"]] = (amount, kind)
            inv.settle()
            assert paid["status"] == inv.status

    @precondition(lambda self: any(m.payments for m in self.model.values()))
    @rule(data=st.data(), kind=st.sampled_from(["CASH", "CHECK", "OTHER"]))
    def update_payment(self, data: st.DataObject, kind: str) -> None:
        invoice_id = data.draw(st.sampled_from(
            sorted(i for i, m in self.model.items() if m.payments)), label="invoice")
        inv = self.model[invoice_id]
        payment_id = data.draw(st.sampled_from(sorted(inv.payments)), label="payment")
        old, old_kind = inv.payments[payment_id]
        amount = self.amount(data, inv.balance + old)
        ok = inv.status in OPEN and old_kind != "CARD" and 0 < amount <= inv.balance + old
        changed = self.expect(ok, "PUT", f"/invoice/{invoice_id}/payments/{payment_id}",
                              {"type": kind, "amt_paid": money(amount),
                               "date_payment": "2026-03-02"})
        if changed is not None:
            inv.payments[payment_id] = (amount, kind)
            inv.settle()

    @precondition(lambda self: any(m.payments for m in self.model.values()))
    @rule(data=st.data())
    def remove_payment(self, data: st.DataObject) -> None:
        invoice_id = data.draw(st.sampled_from(
            sorted(i for i, m in self.model.items() if m.payments)), label="invoice")
        inv = self.model[invoice_id]
        payment_id = data.draw(st.sampled_from(sorted(inv.payments)), label="payment")
        ok = inv.status in OPEN and inv.payments[payment_id][1] != "CARD"
        if self.expect(ok, "DELETE", f"/invoice/{invoice_id}/payments/{payment_id}") is not None:
            del inv.payments[payment_id]

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        invoice_id, inv = self.pick(data)
        ok = inv.status in OPEN and inv.paid == 0
        if self.expect(ok, "DELETE", f"/invoice/{invoice_id}/cancel") is not None:
            inv.status = "CANCELED"

    @precondition(lambda self: self.model and len(self.model) < 6)
    @rule(data=st.data())
    def copy(self, data: st.DataObject) -> None:
        invoice_id, inv = self.pick(data)
        copy = self.api.ok("POST", f"/invoice/{invoice_id}/copy")
        assert copy["status"] == "SAVED" and "date_payment" not in copy
        self.model[copy["invoice_id"]] = Model("SAVED", inv.total, inv.partial, inv.rate)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), lines=LINES)
    def update_draft(self, data: st.DataObject, lines: list[tuple[int, int]]) -> None:
        invoice_id, inv = self.pick(data)
        total = total_of(lines, inv.rate)
        ok = inv.status == "SAVED" and total >= inv.paid
        if self.expect(ok, "PUT", f"/invoice/{invoice_id}/draft",
                       {"line_items": body_lines(lines)}) is not None:
            inv.total = total
            if inv.paid > 0:
                inv.settle()

    @precondition(lambda self: any(m.sent for m in self.model.values()))
    @rule(data=st.data(), whole=st.booleans(), declined=st.booleans())
    def pay_by_card_at_checkout(self, data: st.DataObject, whole: bool, declined: bool) -> None:
        invoice_id = data.draw(st.sampled_from(
            sorted(i for i, m in self.model.items() if m.sent)), label="invoice")
        inv = self.model[invoice_id]
        amount = inv.balance if whole else self.amount(data, inv.balance)
        request: dict[str, Any] = {} if whole else {"amount": str(Decimal(amount) / 100)}
        if declined:
            request["card_number"] = DECLINED_CARD
        response = card_pay(self.http, self.api.token(invoice_id), **request)
        valid = inv.status in OPEN and 0 < amount <= inv.balance and (
            inv.partial or amount == inv.balance)
        if valid and declined:
            assert response.status_code == 402, response.text
        elif valid:
            assert response.status_code == 200, response.text
            body = response.json()
            assert len(body["pg_id"]) == 32 and body["tran_status"] == "A"
            inv.payments[body["payment_id"]] = (amount, "CARD")
            inv.settle()
            assert body["invoice_status"] == inv.status
        elif not whole and amount <= 0:
            assert response.status_code == 400, response.text  # a malformed amount
        else:
            assert response.status_code in (402, 409), response.text

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def sandbox_agrees_with_the_model_and_with_itself(self) -> None:
        invoices, payments = self.api.snapshot()
        assert sorted(row["invoice_id"] for row in invoices) == sorted(self.model)
        listed: dict[int, dict[int, tuple[int, str]]] = {i: {} for i in self.model}
        for payment in payments:
            listed[payment["invoice_id"]][payment["payment_id"]] = (
                cents(payment["amt_paid"]), payment["type"])
            assert (payment["type"] == "CARD") == ("pg_id" in payment)
        for row in invoices:
            i = row["invoice_id"]
            total, paid, balance = cents(row["amt_tran"]), cents(row["amt_paid"]), cents(
                row["amt_balance"])
            assert paid == sum(amount for amount, _ in listed[i].values())
            assert balance == total - paid
            assert 0 <= paid <= total
            if row["status"] == "PAID":
                assert balance == 0
            elif row["status"] != "CANCELED" and paid > 0:
                assert balance > 0
            if row["status"] == "CANCELED":
                assert paid == 0
            model = self.model[i]
            assert (row["status"], total, paid) == (model.status, model.total, model.paid)
            assert listed[i] == model.payments
            assert ("invoice_link" in row) == model.sent


def test_random_operation_sequences_keep_the_invariants(shared_http: TestClient) -> None:
    MaastMachine.http = shared_http
    run_state_machine_as_test(MaastMachine, settings=settings(
        max_examples=25, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow]))
