"""The lifecycle engine reads one declarative table per provider; a refused transition leaves the
invoice exactly as it was, in memory and in the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from invoice_sandbox.core import invoices, lifecycle, tenancy
from invoice_sandbox.core.db import Database
from invoice_sandbox.core.errors import RuleViolation, TransitionRefused
from invoice_sandbox.core.lifecycle import SETTLE, STAY, Lifecycle, Transition
from invoice_sandbox.core.lifecycles import LIFECYCLES, MAAST
from invoice_sandbox.core.tables import Invoice

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def invoice(status: str = "SAVED", total: int = 1000, paid: int = 0, provider: str = "maast",
            **kw: Any) -> Invoice:
    return Invoice(id=1, tenant_id=1, provider=provider, status=status, currency="840",
                   total_minor=total, paid_minor=paid, stamps={}, attrs={}, created_at=NOW,
                   updated_at=NOW, **kw)


def state(row: Invoice) -> dict[str, Any]:
    return row.model_dump()


def test_a_transition_moves_and_stamps() -> None:
    row = invoice()
    assert lifecycle.apply(MAAST, row, "send", LATER) == "OUTSTANDING"
    assert row.status == "OUTSTANDING" and row.updated_at == LATER
    assert row.stamps == {"sent_at": "2026-03-02T11:30:00.000Z",
                          "entered_outstanding_at": "2026-03-02T11:30:00.000Z"}
    # first_stamps: sending again keeps the first sent date
    lifecycle.apply(MAAST, row, "send", LATER + timedelta(days=1))
    assert row.stamps["sent_at"] == "2026-03-02T11:30:00.000Z"


@pytest.mark.parametrize(("status", "action"), [
    ("PAID", "cancel"), ("CANCELED", "cancel"), ("PAID", "send"), ("CANCELED", "record_payment"),
    ("SAVED", "resend"), ("OUTSTANDING", "edit_draft"), ("SAVED", "edit_outstanding"),
    ("PAID", "change_payment"), ("PAID", "remove_payment"),
])
def test_a_refused_transition_leaves_the_row_untouched(status: str, action: str) -> None:
    row = invoice(status=status, paid=1000 if status == "PAID" else 0)
    before = state(row)
    with pytest.raises(TransitionRefused) as refused:
        lifecycle.apply(MAAST, row, action, LATER)
    assert (refused.value.action, refused.value.status) == (action, status)
    assert state(row) == before


def test_a_failed_guard_leaves_the_row_untouched() -> None:
    row = invoice(status="OUTSTANDING", paid=1)
    before = state(row)
    with pytest.raises(RuleViolation) as violation:
        lifecycle.apply(MAAST, row, "cancel", LATER)
    assert violation.value.code == "has_payments"
    assert state(row) == before


def test_settle_and_stay_targets() -> None:
    row = invoice(status="OUTSTANDING", paid=400)
    assert lifecycle.apply(MAAST, row, "record_payment", LATER) == "OUTSTANDING"
    row.paid_minor = 1000
    assert lifecycle.apply(MAAST, row, "record_payment", LATER) == "PAID"
    assert "entered_paid_at" in row.stamps
    assert lifecycle.apply(MAAST, invoice(), "edit_draft", LATER) == "SAVED"


def test_unknown_actions_and_undeclared_states_are_programming_errors() -> None:
    with pytest.raises(KeyError):
        lifecycle.apply(MAAST, invoice(), "teleport", LATER)
    broken = Lifecycle(provider="broken", initial="A", states=frozenset({"A"}),
                       transitions={"go": Transition(frozenset({"A"}), "B")},
                       settle=lambda inv: inv.status)
    row = invoice(status="A", provider="broken")
    with pytest.raises(ValueError, match="not a declared state"):
        lifecycle.apply(broken, row, "go", LATER)


def test_expiry_is_driven_by_the_clock() -> None:
    payone = LIFECYCLES["payone"]
    row = invoice(status="NEW", provider="payone", expires_at=LATER)
    assert not lifecycle.expire_if_due(payone, row, NOW)
    assert row.status == "NEW"
    assert lifecycle.expire_if_due(payone, row, LATER)
    assert row.status == "EXPIRED"
    assert not lifecycle.expire_if_due(MAAST, invoice(expires_at=NOW), LATER)


@pytest.mark.parametrize("name", sorted(LIFECYCLES))
def test_every_table_only_names_declared_states(name: str) -> None:
    table = LIFECYCLES[name]
    assert table.provider == name and table.initial in table.states
    for action, transition in table.transitions.items():
        assert transition.sources <= table.states, action
        assert transition.target in table.states | {SETTLE, STAY}, action
    if table.expiry is not None:
        assert table.expiry[0] <= table.states and table.expiry[1] in table.states


def test_a_refused_command_inside_a_transaction_writes_nothing(
        db_location: Callable[..., str]) -> None:
    db = Database(db_location())
    with db.write() as session:
        tenant = tenancy.create(session, "maast", "k", NOW)
        row = invoices.create_invoice(session, tenant, NOW, currency="840", total_minor=1000)
        invoices.record_payment(session, row, NOW, amount_minor=250, method="CASH", paid_at=NOW)
        invoice_id, tenant_id = row.id, tenant.id
    assert invoice_id is not None and tenant_id is not None

    def stored() -> dict[str, Any]:
        with db.read() as session:
            return invoices.get_invoice(session, tenant_id, invoice_id, now=NOW).model_dump()

    before = stored()
    with pytest.raises(RuleViolation), db.write() as session:
        loaded = invoices.get_invoice(session, tenant_id, invoice_id, now=LATER)
        invoices.transition(session, loaded, "send", LATER)  # allowed, then ...
        invoices.transition(session, loaded, "cancel", LATER)  # ... refused: partly paid
    assert stored() == before
    db.dispose()
