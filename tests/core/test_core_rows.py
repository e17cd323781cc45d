"""Commands on plain rows (`read_invoice`, `insert_invoice`, `record_payment` on an InvoiceRow)
store exactly what their ORM counterparts store (concurrency: test_core_concurrency)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from invoice_sandbox.core import customers, invoices, tenancy
from invoice_sandbox.core.db import Database
from invoice_sandbox.core.errors import NotFound, RuleViolation
from invoice_sandbox.core.tables import Customer, Invoice, Payment
from sqlmodel import col, select

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
THREADS = 24


def _stored(db: Database, invoice_id: int) -> dict[str, object]:
    with db.read() as session:
        row = session.get(Invoice, invoice_id)
        assert row is not None
        return row.model_dump()


def test_row_commands_store_what_the_orm_commands_store(db_location: Callable[..., str]) -> None:
    db = Database(db_location())
    fields = {"currency": "840", "total_minor": 10_000, "number": "N-1", "customer_ref": "C",
              "allow_partial": False, "issue_date": date(2026, 3, 1),
              "due_date": date(2026, 3, 31), "attrs": {"note": "x", "lines": [{"q": "1"}]}}
    with db.write() as session:
        tenant = tenancy.create(session, "maast", "k", NOW)
        orm = invoices.create_invoice(session, tenant, NOW, **fields)  # type: ignore[arg-type]
        invoices.transition(session, orm, "send", NOW)
        for day in (3, 1):
            invoices.record_payment(session, orm, NOW, amount_minor=2_500, method="CASH",
                                    paid_at=NOW - timedelta(days=day))
    with db.write_sql() as tx:
        row = invoices.insert_invoice(tx, tenant, NOW, **fields)  # type: ignore[arg-type]
    with db.write() as session:
        invoices.transition(session, invoices.get_invoice(session, tenant.id or 0, row.id,
                                                          now=NOW), "send", NOW)
    for day in (3, 1):
        with db.write_sql() as tx:
            loaded = invoices.read_invoice(tx, tenant.id or 0, row.id)
            payment = invoices.record_payment(tx, loaded, NOW, amount_minor=2_500,
                                              method="CASH", paid_at=NOW - timedelta(days=day))
            assert payment.id is not None and loaded.paid_minor == payment.amount_minor * (
                2 if day == 1 else 1)

    assert orm.id is not None
    expected, got = _stored(db, orm.id), _stored(db, row.id)
    assert {**got, "id": expected["id"]} == expected
    assert got["paid_minor"] == 5_000 and got["status"] == "OUTSTANDING"
    with db.read_sql() as tx:
        assert dataclasses.asdict(invoices.read_invoice(tx, tenant.id or 0, row.id)) == got
    db.dispose()


def test_a_row_of_another_tenant_is_not_found_and_refusals_write_nothing(
        db_location: Callable[..., str]) -> None:
    db = Database(db_location())
    with db.write() as session:
        tenant = tenancy.create(session, "maast", "k", NOW)
        other = tenancy.create(session, "maast", "other", NOW)
    with db.write_sql() as tx:
        row = invoices.insert_invoice(tx, tenant, NOW, currency="840", total_minor=1_000)
    with pytest.raises(NotFound), db.read_sql() as tx:
        invoices.read_invoice(tx, other.id or 0, row.id)
    before = _stored(db, row.id)
    with pytest.raises(RuleViolation), db.write_sql() as tx:
        invoices.record_payment(tx, invoices.read_invoice(tx, tenant.id or 0, row.id), NOW,
                                amount_minor=1_001, method="CASH", paid_at=NOW)
    assert _stored(db, row.id) == before
    with db.read() as session:
        assert not session.exec(select(Payment)).all()
    db.dispose()


def test_a_row_command_refuses_an_invoice_the_session_holds_as_an_orm_instance(
        db_location: Callable[..., str]) -> None:
    db = Database(db_location())
    with db.write() as session:
        tenant = tenancy.create(session, "maast", "k", NOW)
        orm = invoices.create_invoice(session, tenant, NOW, currency="840", total_minor=1_000)
        invoices.transition(session, orm, "send", NOW)
    assert orm.id is not None
    with pytest.raises(RuntimeError), db.write() as session:
        held = invoices.get_invoice(session, tenant.id or 0, orm.id, now=NOW)
        held.attrs = {"changed": True}  # a flush at commit would overwrite the row's UPDATE
        row = invoices.read_invoice(session, tenant.id or 0, orm.id)
        invoices.record_payment(session, row, NOW, amount_minor=100, method="CASH", paid_at=NOW)
    assert _stored(db, orm.id)["paid_minor"] == 0 and _stored(db, orm.id)["attrs"] == {}
    db.dispose()


def test_saving_a_customer_twice_replaces_its_details(db_location: Callable[..., str]) -> None:
    db = Database(db_location())
    with db.write() as session:
        tenant = tenancy.create(session, "maast", "k", NOW)
        customers.save(session, tenant.id or 0, "C1", {"v": 1}, NOW)
    with db.write_sql() as tx:
        customers.save(tx, tenant.id or 0, "C1", {"v": 2}, NOW + timedelta(days=1))
        assert customers.known(tx, tenant.id or 0, "C1")
        assert not customers.known(tx, tenant.id or 0, "C2")
    with db.read() as session:
        saved = session.exec(select(Customer).where(col(Customer.tenant_id) == tenant.id)).all()
    assert [(c.ref, c.attrs, c.created_at) for c in saved] == [("C1", {"v": 2}, NOW)]
    db.dispose()
