"""Threads recording payments on one invoice, each in its own write transaction on one SQLite
file (through two Database objects, as two processes would): never an overpayment, never a lost
payment, and the invariants hold at the end, through the ORM commands and the row commands."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from invoice_sandbox.core import invoices, tenancy
from invoice_sandbox.core.db import Database
from invoice_sandbox.core.errors import RuleViolation, TransitionRefused
from invoice_sandbox.core.tables import Invoice, Payment
from sqlmodel import col, select

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
THREADS = 24


def _pay_through_the_orm(db: Database, tenant_id: int, invoice_id: int, amount: int) -> int | None:
    with db.write() as session:
        invoice = invoices.get_invoice(session, tenant_id, invoice_id, now=NOW)
        return invoices.record_payment(session, invoice, NOW, amount_minor=amount,
                                       method="CASH", paid_at=NOW).id


def _pay_through_a_row(db: Database, tenant_id: int, invoice_id: int, amount: int) -> int | None:
    with db.write_sql() as tx:
        row = invoices.read_invoice(tx, tenant_id, invoice_id)
        return invoices.record_payment(tx, row, NOW, amount_minor=amount, method="CASH",
                                       paid_at=NOW).id


@pytest.mark.parametrize("pay_once", [_pay_through_the_orm, _pay_through_a_row])
def test_concurrent_record_payment_never_overpays(
        db_location: Callable[..., str],
        pay_once: Callable[[Database, int, int, int], int | None]) -> None:
    path = db_location("race.sqlite")
    databases = [Database(path), Database(path)]
    with databases[0].write() as session:
        tenant = tenancy.create(session, "maast", "race", NOW)
        row = invoices.create_invoice(session, tenant, NOW, currency="840", total_minor=10_000)
        invoices.transition(session, row, "send", NOW)
        invoice_id, tenant_id = row.id, tenant.id
    assert invoice_id is not None and tenant_id is not None
    amounts = [300 + 100 * (n % 5) for n in range(THREADS)]  # 120.00 offered for 100.00
    start = threading.Barrier(THREADS)

    def pay(n: int) -> tuple[int, int | None]:
        start.wait()
        try:
            return n, pay_once(databases[n % 2], tenant_id, invoice_id, amounts[n])
        except (RuleViolation, TransitionRefused) as refused:
            # over the balance, or nothing left to pay at all
            assert refused.code in ("amount_exceeds_balance", "transition_refused"), refused
            return n, None

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(pay, range(THREADS)))

    accepted = {pid: amounts[n] for n, pid in results if pid is not None}
    refused = [n for n, pid in results if pid is None]
    with databases[1].read() as session:
        invoice = session.get(Invoice, invoice_id)
        stored = {p.id: p.amount_minor for p in session.exec(
            select(Payment).where(col(Payment.invoice_id) == invoice_id))}
    assert invoice is not None
    assert stored == accepted
    assert invoice.paid_minor == sum(accepted.values()) <= invoice.total_minor
    assert invoice.balance_minor == invoice.total_minor - invoice.paid_minor
    assert (invoice.status == "PAID") == (invoice.balance_minor == 0)
    assert refused and all(amounts[n] > invoice.balance_minor for n in refused)
    for db in databases:
        db.dispose()
