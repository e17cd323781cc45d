"""Property-based walk through Harvest's lifecycle: random invoices, payments (overpayment
included), messages, state actions, line edits and deletes, in both formats, checked against a
model of the rules after every step."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from harvest_support import Harvest, freeze, records
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)
from invoice_sandbox.main import create_app
from invoice_sandbox.settings import Settings
from sandbox_databases import fresh_db

ACTIONS = ("send", "mark_as_sent", "mark_as_closed", "re_open", "mark_as_draft")
FORMATS = st.sampled_from(["xml", "json"])


@dataclass
class Model:
    total: int  # cents
    payments: dict[int, int] = field(default_factory=dict)
    messages: list[int] = field(default_factory=list)
    sent: bool = False
    closed: bool = False

    @property
    def paid(self) -> int:
        return sum(self.payments.values())

    @property
    def state(self) -> str:
        if self.closed:
            return "closed"
        if not self.sent:
            return "draft"
        if self.paid == 0:
            return "open"
        return "paid" if self.paid >= self.total else "partial"

    def allows(self, action: str) -> bool:
        return {
            "send": not self.closed,
            "mark_as_sent": self.state == "draft",
            "mark_as_closed": self.state in ("open", "partial"),
            "re_open": self.closed,
            "mark_as_draft": self.state == "open",
            "money": not self.closed,
        }[action]


def cents(value: Any) -> int:
    return int(Decimal(str(value)) * 100)


def lines_csv(amounts: list[int]) -> str:
    header = "kind,description,quantity,unit_price,amount,taxed,taxed2,project_id"
    rows = [f"Service,Line {i},1,{Decimal(c) / 100:.2f},,false,false," for i, c in
            enumerate(amounts)]
    return "\n".join([header, *rows])


def body(fmt: str, root: str, values: dict[str, str]) -> bytes:
    if fmt == "json":
        return json.dumps({root.replace("-", "_"): values}).encode()
    inner = "".join(f"<{k.replace('_', '-')}>{v}</{k.replace('_', '-')}>"
                    for k, v in values.items())
    return f"<{root}>{inner}</{root}>".encode()


class HarvestLifecycle(RuleBasedStateMachine):
    http: TestClient  # set by the test: one sandbox, a new account per example

    invoices = Bundle("invoices")

    def __init__(self) -> None:
        super().__init__()
        self.hv = Harvest(self.http, f"sm{uuid.uuid4().hex[:12]}@example.com", "pw")
        self.model: dict[int, Model] = {}
        self.steps = 0

    def check_lists(self, invoice_id: int, fmt: str) -> None:
        """Payments and messages of one invoice, as the API lists them, against the model."""
        model = self.model[invoice_id]
        payments = self.hv.get(f"/invoices/{invoice_id}/payments", fmt=fmt)
        messages = self.hv.get(f"/invoices/{invoice_id}/messages", fmt=fmt)
        if fmt == "json":
            listed = {p["payment"]["id"]: cents(p["payment"]["amount"]) for p in payments.json()}
            said = [m["message"]["id"] for m in messages.json()]
        else:
            listed = {int(str(p["id"])): cents(p["amount"]) for p in records(payments.content)}
            said = [int(str(m["id"])) for m in records(messages.content)]
        assert listed == model.payments
        assert said == model.messages

    @rule(target=invoices, amounts=st.lists(st.integers(0, 300_000), max_size=3), fmt=FORMATS)
    def create(self, amounts: list[int], fmt: str) -> int:
        values = {"client_id": "7", "csv_line_items": lines_csv(amounts)}
        response = self.hv.post("/invoices", body(fmt, "invoice", values), fmt=fmt)
        assert response.status_code == 201, response.text
        invoice_id = int(response.headers["Location"].rsplit("/", 1)[1])
        self.model[invoice_id] = Model(total=sum(amounts))
        return invoice_id

    @rule(invoice_id=invoices, amount=st.integers(1, 400_000), fmt=FORMATS)
    def pay(self, invoice_id: int, amount: int, fmt: str) -> None:
        model = self.model[invoice_id]
        values = {"amount": f"{Decimal(amount) / 100:.2f}", "paid_at": "2026-03-01T12:00:00Z"}
        response = self.hv.post(f"/invoices/{invoice_id}/payments",
                                body(fmt, "payment", values), fmt=fmt)
        if not model.allows("money"):
            assert response.status_code == 400 and "Hint" in response.headers
            return
        assert response.status_code == 201, response.text
        location = response.headers["Location"]
        assert location.startswith(f"/invoice/{invoice_id}/payments/")
        model.payments[int(location.rsplit("/", 1)[1])] = amount
        model.sent = True  # as recorded: a payment sends an unsent invoice
        self.check_lists(invoice_id, fmt)

    @rule(invoice_id=invoices, pick=st.integers(0, 10), fmt=FORMATS)
    def delete_payment(self, invoice_id: int, pick: int, fmt: str) -> None:
        model = self.model[invoice_id]
        if not model.payments:
            assert self.hv.delete(f"/invoices/{invoice_id}/payments/999999999").status_code == 404
            return
        payment_id = sorted(model.payments)[pick % len(model.payments)]
        response = self.hv.delete(f"/invoices/{invoice_id}/payments/{payment_id}", fmt=fmt)
        if not model.allows("money"):
            assert response.status_code == 400 and "Hint" in response.headers
            return
        assert response.status_code == 200
        del model.payments[payment_id]
        self.check_lists(invoice_id, fmt)

    @rule(invoice_id=invoices, action=st.sampled_from(ACTIONS), fmt=FORMATS)
    def act(self, invoice_id: int, action: str, fmt: str) -> None:
        model = self.model[invoice_id]
        if action == "send":
            response = self.hv.post(f"/invoices/{invoice_id}/messages",
                                    body(fmt, "invoice-message", {"recipients": "a@b.example"}),
                                    fmt=fmt)
        else:
            response = self.hv.post(f"/invoices/{invoice_id}/messages/{action}", fmt=fmt)
        if not model.allows(action):
            assert response.status_code == 400 and "Hint" in response.headers
            return
        assert response.status_code == (201 if action == "send" else 200), response.text
        model.sent = {"mark_as_draft": False}.get(action, True)
        model.closed = action == "mark_as_closed"
        listed = self.hv.get(f"/invoices/{invoice_id}/messages.json").json()
        model.messages.append(listed[-1]["message"]["id"])
        self.check_lists(invoice_id, fmt)

    @rule(invoice_id=invoices, pick=st.integers(0, 10))
    def delete_message(self, invoice_id: int, pick: int) -> None:
        model = self.model[invoice_id]
        if not model.messages:
            return
        message_id = model.messages.pop(pick % len(model.messages))
        response = self.hv.delete(f"/invoices/{invoice_id}/messages/{message_id}")
        assert response.status_code == 200

    @rule(invoice_id=invoices, amounts=st.lists(st.integers(0, 300_000), max_size=3),
          fmt=FORMATS)
    def edit_lines(self, invoice_id: int, amounts: list[int], fmt: str) -> None:
        response = self.hv.put(f"/invoices/{invoice_id}",
                               body(fmt, "invoice", {"csv_line_items": lines_csv(amounts),
                                                     "state": "paid"}), fmt=fmt)
        assert response.status_code == 200, response.text
        self.model[invoice_id].total = sum(amounts)

    @rule(invoice_id=consumes(invoices))
    def delete_invoice(self, invoice_id: int) -> None:
        assert self.hv.delete(f"/invoices/{invoice_id}").status_code == 200
        del self.model[invoice_id]
        assert self.hv.get(f"/invoices/{invoice_id}").status_code == 404
        assert self.hv.get(f"/invoices/{invoice_id}/payments").status_code == 404

    @invariant()
    def the_list_matches_the_model(self) -> None:
        """amount = the lines, due = amount - payments, state = the rules, in either format."""
        self.steps += 1
        if self.steps % 2:
            rows = [row["invoices"] for row in self.hv.get("/invoices.json").json()]
            seen = {r["id"]: (cents(r["amount"]), cents(r["due_amount"]), r["state"])
                    for r in rows}
        else:
            rows = records(self.hv.get("/invoices").content)
            seen = {int(str(r["id"])): (cents(r["amount"]), cents(r["due-amount"]), r["state"])
                    for r in rows}
        expected = {i: (m.total, m.total - m.paid, m.state) for i, m in self.model.items()}
        assert seen == expected


@pytest.fixture(scope="module")
def lifecycle_client(request: pytest.FixtureRequest,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = fresh_db(request, tmp_path_factory.mktemp("harvest-stateful") / "stateful.sqlite")
    with TestClient(create_app(Settings(db=db, fixtures=None)),
                    raise_server_exceptions=False) as http:
        freeze(http)
        yield http


def test_harvest_lifecycle(lifecycle_client: TestClient) -> None:
    HarvestLifecycle.http = lifecycle_client
    run_state_machine_as_test(HarvestLifecycle, settings=settings(
        max_examples=25, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow]))
