"""Property-based test of SmartLink's lifecycle: random sequences of the seven operations,
checkout payments, refund approvals and clock moves, against a model; after every step the
core's invariants hold (paid = sum of payments, balance = total - paid, status consistent with
the balance and the clock) and every invoice reads back as the model says."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from invoice_sandbox.core import invoices as core_invoices
from invoice_sandbox.core import tenancy
from payone_support import DECLINED_CARD, PayOne, freeze, item

_merchants = itertools.count(1)
HOME = timedelta(hours=3)
UNPAID = {"NEW", "INACTIVE", "EXPIRED"}
SETTLED = {"PAID", "AUTHORIZED", "REFUNDED", "PENDING_REFUND_APPROVAL"}


@dataclass
class Model:
    total: int
    pre_auth: bool
    expires_at: datetime
    status: str = "NEW"
    paid: int = 0
    captured: int | None = None
    refunded: int = 0
    pending_refund: int = 0

    @property
    def refundable(self) -> int:
        return (self.paid if self.captured is None else self.captured) - self.refunded


class SmartLinkMachine(RuleBasedStateMachine):
    http: TestClient

    def __init__(self) -> None:
        super().__init__()
        n = next(_merchants)
        self.api = PayOne(self.http, f"prop{n}", f"prop-token-{n}")
        self.now = datetime.fromisoformat(
            self.http.get("/_sandbox/clock").json()["now"].replace("Z", "+00:00"))
        self.model: dict[str, Model] = {}
        self.approval = False

    invoices = Bundle("invoices")

    # --- model helpers -------------------------------------------------------------------

    def current(self, ident: str) -> Model:
        """The model invoice with expiry applied, as the core applies it on every read."""
        inv = self.model[ident]
        if inv.status in ("NEW", "INACTIVE") and inv.expires_at <= self.now:
            inv.status = "EXPIRED"
        return inv

    def expect_error(self, response_json: dict[str, str], code: str) -> None:
        assert response_json.get("Error") == code, response_json

    # --- rules ---------------------------------------------------------------------------

    @precondition(lambda self: len(self.model) < 5)
    @rule(target=invoices, pre_auth=st.booleans(), amount=st.integers(1, 1_000_000),
          days=st.integers(1, 3))
    def create(self, pre_auth: bool, amount: int, days: int) -> str:
        ident = f"I-{len(self.model) + 1}"
        created = self.api.create(item(ident, amount=str(amount), expiryperiod=f"{days}D"),
                                  pre_auth=pre_auth)[0]
        expires = self.now + timedelta(days=days)
        assert created["expiryDateTime"] == (expires + HOME).strftime("%d-%m-%Y %H:%M:%S")
        self.model[ident] = Model(total=amount, pre_auth=pre_auth, expires_at=expires)
        return ident

    @rule(ident=invoices)
    def create_again(self, ident: str) -> None:
        r = self.api.call("createInvoice", self.api.document(invoicesDetails=[item(ident)]))
        self.expect_error(r.json(), "00010")

    @rule(ident=invoices, declined=st.booleans())
    def pay(self, ident: str, declined: bool) -> None:
        inv = self.current(ident)
        r = self.api.pay(ident, DECLINED_CARD if declined else None)
        if inv.status != "NEW":
            assert r.status_code == 409, r.text
        elif declined:
            assert r.status_code == 402, r.text
        else:
            assert r.status_code == 200, r.text
            inv.paid = inv.total
            inv.status = "AUTHORIZED" if inv.pre_auth else "PAID"
            assert r.json()["invoice_status"] == inv.status

    @rule(ident=invoices)
    def deactivate(self, ident: str) -> None:
        inv = self.current(ident)
        body = self.api.deactivate(ident).json()
        if inv.status == "NEW":
            assert body["status"] == "Invoice is deactivated successfully", body
            inv.status = "INACTIVE"
        else:
            self.expect_error(body, "00008")

    @rule(ident=invoices)
    def activate(self, ident: str) -> None:
        inv = self.current(ident)
        body = self.api.activate(ident).json()
        if inv.status == "INACTIVE":
            assert body["status"] == "Invoice is activated successfully", body
            inv.status = "NEW"
        else:
            self.expect_error(body, "00008")

    @rule(ident=invoices, amount=st.integers(1, 1_100_000))
    def complete(self, ident: str, amount: int) -> None:
        inv = self.current(ident)
        body = self.api.complete({"invoiceID": ident, "amount": str(amount),
                                  "currency": "682"}).json()
        if inv.status == "AUTHORIZED":
            if amount <= inv.paid:
                assert body["invoicesDetails"][0]["invoiceStatus"] == "PAID", body
                inv.status, inv.captured = "PAID", amount
            else:
                self.expect_error(body, "00043")
        elif inv.captured is not None:
            self.expect_error(body, "00036")
        else:
            self.expect_error(body, "00035")

    @rule(ident=invoices, amount=st.none() | st.integers(1, 1_100_000))
    def refund(self, ident: str, amount: int | None) -> None:
        inv = self.current(ident)
        body = self.api.refund(ident, None if amount is None else str(amount)).json()
        wanted = inv.refundable if amount is None else amount
        if inv.status == "AUTHORIZED":
            self.expect_error(body, "00038")
        elif inv.status != "PAID":
            self.expect_error(body, "00030")
        elif wanted > inv.refundable:
            self.expect_error(body, "00032")
        elif self.approval:
            assert body["invoiceStatus"] == "PENDING_REFUND_APPROVAL", body
            inv.status, inv.pending_refund = "PENDING_REFUND_APPROVAL", wanted
        else:
            assert body["invoiceStatus"] == "REFUNDED", body
            inv.status, inv.refunded = "REFUNDED", inv.refunded + wanted

    @rule(flag=st.booleans())
    def require_refund_approval(self, flag: bool) -> None:
        r = self.http.post(f"/_sandbox/payone/merchants/{self.api.merchant}",
                           json={"refund_approval": flag})
        assert r.status_code == 200
        self.approval = flag

    @rule(ident=invoices)
    def approve_refund(self, ident: str) -> None:
        inv = self.current(ident)
        r = self.http.post(f"/_sandbox/payone/merchants/{self.api.merchant}/invoices/{ident}/"
                           "approve-refund")
        if inv.status == "PENDING_REFUND_APPROVAL":
            assert r.status_code == 200 and r.json()["amount"] == str(inv.pending_refund)
            inv.status, inv.refunded = "REFUNDED", inv.refunded + inv.pending_refund
            inv.pending_refund = 0
        else:
            assert r.status_code == 409, r.text

    @rule(hours=st.integers(1, 80))
    def move_clock(self, hours: int) -> None:
        r = self.http.post("/_sandbox/clock", json={"advance": hours * 3600})
        assert r.status_code == 200
        self.now += timedelta(hours=hours)

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def invoices_read_back_as_modelled(self) -> None:
        for ident in self.model:
            inv = self.current(ident)
            body = self.api.inquire(ident)
            assert body["invoiceStatus"] == inv.status, (ident, body, inv)
            assert body["amount"] == str(inv.total)
            assert body["type"] == ("PreAuth" if inv.pre_auth else "Payment")
            assert (body["cardNumber"] != "") == (inv.paid > 0)

    @invariant()
    def core_invariants_hold(self) -> None:
        if not self.model:
            return
        sandbox = self.http.app.state.sandbox  # type: ignore[attr-defined]
        with sandbox.db.read() as session:
            tenant = tenancy.find(session, "payone", self.api.merchant)
            assert tenant is not None and tenant.id is not None
            for ident in self.model:
                inv = self.current(ident)
                row = core_invoices.find_invoice(session, tenant.id, ident, now=self.now)
                assert row is not None
                payments = core_invoices.payments_of(session, row)
                assert row.paid_minor == sum(p.amount_minor for p in payments) == inv.paid
                assert row.balance_minor == row.total_minor - row.paid_minor
                assert row.refunded_minor == inv.refunded <= row.paid_minor
                if row.status in UNPAID:
                    assert row.paid_minor == 0 and row.balance_minor == row.total_minor
                else:
                    assert row.status in SETTLED and row.balance_minor == 0
                assert (row.status == "AUTHORIZED") <= (row.kind == "PreAuth")
                expired = row.expires_at is not None and row.expires_at <= self.now
                assert row.status == inv.status
                if row.status == "EXPIRED":
                    assert expired and row.paid_minor == 0
                if row.status in ("NEW", "INACTIVE"):
                    assert not expired


def test_smartlink_lifecycle_properties(client: TestClient) -> None:
    freeze(client, datetime(2026, 3, 2, 10, 30, tzinfo=UTC).isoformat())
    SmartLinkMachine.http = client
    run_state_machine_as_test(
        SmartLinkMachine,
        settings=settings(max_examples=25, stateful_step_count=20, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )
