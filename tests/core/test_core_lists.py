"""Lists over the core: due expiry timers show in every list whatever happened in between, and
ordering by balance follows every kind of payment change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from invoice_sandbox.core import invoices, overview, tenancy
from invoice_sandbox.core.db import Database
from invoice_sandbox.core.query import Filter, Page, Sort
from invoice_sandbox.core.tables import Invoice, Tenant
from sqlmodel import select

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
DAY = timedelta(days=1)


def _payone(db: Database) -> tuple[Tenant, dict[str, int]]:
    """A PayOne merchant with invoices that expire after 1 and 3 days, one deactivated, one
    paid and one without any expiry."""
    ids: dict[str, int] = {}
    with db.write() as session:
        tenant = tenancy.create(session, "payone", "merchant", NOW)
        for name, days in (("one", 1), ("three", 3), ("inactive", 1), ("paid", 1)):
            row = invoices.create_invoice(session, tenant, NOW, currency="682",
                                          total_minor=1_000, ref=name,
                                          expires_at=NOW + days * DAY)
            ids[name] = row.id or 0
            if name == "inactive":
                invoices.transition(session, row, "deactivate", NOW)
            if name == "paid":
                invoices.record_payment(session, row, NOW, amount_minor=1_000,
                                        method="CARD", paid_at=NOW)
        ids["never"] = invoices.create_invoice(session, tenant, NOW, currency="682",
                                               total_minor=1_000, ref="never").id or 0
    return tenant, ids


def _statuses(db: Database, tenant: Tenant, now: datetime) -> dict[str | None, str]:
    assert tenant.id is not None
    with db.write() as session:
        rows, total = invoices.list_invoices(session, tenant.id, now)
    assert total == len(rows)
    return {row.ref: row.status for row in rows}


def test_a_list_shows_invoices_expired_as_the_clock_passes_their_validity(
        tmp_path: Path) -> None:
    db = Database(str(tmp_path / "lists.sqlite"))
    tenant, _ = _payone(db)
    assert set(_statuses(db, tenant, NOW).values()) == {"NEW", "INACTIVE", "PAID"}
    assert _statuses(db, tenant, NOW + DAY) == {
        "one": "EXPIRED", "three": "NEW", "inactive": "EXPIRED", "paid": "PAID", "never": "NEW"}
    # Later lists keep what expired and expire the rest once its time comes.
    assert _statuses(db, tenant, NOW + 2 * DAY)["three"] == "NEW"
    assert _statuses(db, tenant, NOW + 10 * DAY) == {
        "one": "EXPIRED", "three": "EXPIRED", "inactive": "EXPIRED", "paid": "PAID",
        "never": "NEW"}


def test_a_filtered_list_and_its_count_see_expiry_without_any_read_before(
        tmp_path: Path) -> None:
    db = Database(str(tmp_path / "lists.sqlite"))
    tenant, ids = _payone(db)
    assert tenant.id is not None
    with db.write() as session:
        rows, total = invoices.list_invoices(session, tenant.id, NOW + 5 * DAY,
                                             [Filter("status", "EQ", "EXPIRED")],
                                             [Sort("id")], Page(limit=10))
    assert [r.id for r in rows] == [ids["one"], ids["three"], ids["inactive"]] and total == 3


def test_the_dashboard_table_shows_expiry_of_every_tenant(tmp_path: Path) -> None:
    db = Database(str(tmp_path / "lists.sqlite"))
    _payone(db)
    with db.write() as session:
        assert overview.expire_overdue(session, NOW + DAY) == 2
        assert overview.expire_overdue(session, NOW + DAY) == 0  # nothing is moved twice
    with db.read() as session:
        rows, total = overview.list_invoices(
            session, overview.InvoiceQuery(status="expired", sort="created"))
    assert [r.ref for r, _ in rows] == ["one", "inactive"] and total == 2


def _balances(db: Database, tenant_id: int, descending: bool = True,
              status: str | None = None) -> list[tuple[str | None, int]]:
    filters = [Filter("status", "EQ", status)] if status else []
    with db.read() as session:
        rows, _ = invoices.list_invoices(session, tenant_id, NOW, filters,
                                         [Sort("balance_minor", descending)], Page(limit=50))
    return [(r.number, r.balance_minor) for r in rows]


def test_ordering_by_balance_follows_payments_added_changed_and_removed(
        tmp_path: Path) -> None:
    db = Database(str(tmp_path / "lists.sqlite"))
    with db.write() as session:
        tenant = tenancy.create(session, "maast", "key", NOW)
        made = {n: invoices.create_invoice(session, tenant, NOW, currency="840",
                                           total_minor=total, number=n)
                for n, total in (("A", 3_000), ("B", 2_000), ("C", 1_000))}
        for row in made.values():
            invoices.transition(session, row, "send", NOW)
    assert tenant.id is not None
    ids = {n: row.id for n, row in made.items()}
    assert _balances(db, tenant.id) == [("A", 3_000), ("B", 2_000), ("C", 1_000)]

    with db.write_sql() as tx:  # the plain-row path
        row = invoices.read_invoice(tx, tenant.id, ids["A"] or 0)
        invoices.record_payment(tx, row, NOW, amount_minor=2_500, method="CASH", paid_at=NOW)
    assert _balances(db, tenant.id) == [("B", 2_000), ("C", 1_000), ("A", 500)]

    with db.write() as session:  # the ORM path: add, then change
        invoice = invoices.get_invoice(session, tenant.id, ids["B"] or 0, now=NOW)
        payment = invoices.record_payment(session, invoice, NOW, amount_minor=500,
                                          method="CASH", paid_at=NOW)
        invoices.change_payment(session, invoice, payment, NOW, amount_minor=1_900,
                                method="CASH", paid_at=NOW, attrs={})
    assert _balances(db, tenant.id, descending=False) == [("B", 100), ("A", 500), ("C", 1_000)]

    with db.write() as session:  # removing A's payment gives its balance back
        invoice = invoices.get_invoice(session, tenant.id, ids["A"] or 0, now=NOW)
        invoices.remove_payment(session, invoice, invoices.payments_of(session, invoice)[0], NOW)
        paid = invoices.get_invoice(session, tenant.id, ids["C"] or 0, now=NOW)
        invoices.record_payment(session, paid, NOW, amount_minor=1_000, method="CASH",
                                paid_at=NOW)
    assert _balances(db, tenant.id) == [("A", 3_000), ("B", 100), ("C", 0)]
    assert _balances(db, tenant.id, status="OUTSTANDING") == [("A", 3_000), ("B", 100)]
    with db.read() as session:
        stored = {i.number: i.total_minor - i.paid_minor
                  for i in session.exec(select(Invoice)).all()}
    assert stored == {"A": 3_000, "B": 100, "C": 0}
