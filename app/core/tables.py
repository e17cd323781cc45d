"""The shared tables. Money columns are integer minor units; datetimes are stored as UTC.

Provider-specific wire data that the core has no rule about (contacts, notes, line items as the
client sent them) lives in the `attrs` JSON column of the row it belongs to.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, whatever the backend keeps."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the database")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _dt(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _int64(default: int | None = None) -> Any:
    """A 64-bit integer column: money and provider ids outgrow PostgreSQL's 32-bit INTEGER."""
    if default is None:
        return Field(sa_type=BigInteger)
    return Field(default=default, sa_type=BigInteger)


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Tenant(SQLModel, table=True):
    """One isolated account of one provider, picked by that provider's credentials."""

    __tablename__ = "tenants"
    __table_args__ = (UniqueConstraint("provider", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(index=True)
    key: str  # Maast API key, PayOne merchantID, Harvest account, TransportOne tenant id
    secret: str | None = None  # PayOne token, Harvest password, TransportOne client secret
    # the numeric id the provider shows (Maast merchant_id, Harvest account id ...)
    public_id: int = _int64()
    from_fixture: bool = False
    attrs: dict[str, Any] = _json()
    created_at: datetime = _dt()


class Customer(SQLModel, table=True):
    """A tenant's saved customer (Maast customer vault)."""

    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("tenant_id", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    ref: str
    attrs: dict[str, Any] = _json()
    created_at: datetime = _dt()


class Invoice(SQLModel, table=True):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_tenant_ref", "tenant_id", "ref"),
        # A tenant's invoices in a status; with expires_at, the pending expiry timers (in the
        # lifecycle's expiry source states) as a range, never the invoices already moved on.
        Index("ix_invoices_tenant_status_expires", "tenant_id", "status", "expires_at"),
        # The dashboard's newest-first listing across tenants, and the due timers of all.
        Index("ix_invoices_created_at", "created_at"),
        Index("ix_invoices_status_expires", "status", "expires_at"),
        # List pages in sort order without sorting the tenant (id breaks ties on every engine).
        Index("ix_invoices_tenant_number", "tenant_id", "number", "id"),
        Index("ix_invoices_tenant_created", "tenant_id", "created_at", "id"),
        # Harvest's default order: issue date, latest first.
        Index("ix_invoices_tenant_issued", "tenant_id", "issue_date", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    provider: str
    kind: str = "standard"  # e.g. PayOne "PreAuth"
    ref: str | None = None  # the client's own id where the provider has one (PayOne invoiceID)
    number: str | None = None
    customer_ref: str | None = None
    status: str
    currency: str
    total_minor: int = _int64(0)
    paid_minor: int = _int64(0)
    refunded_minor: int = _int64(0)
    allow_partial: bool = True
    issue_date: date | None = None
    due_date: date | None = None
    expires_at: datetime | None = _dt(nullable=True)
    checkout_token: str | None = Field(default=None, unique=True)
    stamps: dict[str, str] = _json()  # lifecycle timestamps (sent_at, approved_at ...), ISO-8601
    attrs: dict[str, Any] = _json()
    created_at: datetime = _dt()
    updated_at: datetime = _dt()

    @property
    def balance_minor(self) -> int:
        return self.total_minor - self.paid_minor


# The balance is computed (total - paid), so its sort key is an expression index; a query
# must spell it the same way to use it (see `query.balance`).
_INVOICE: Any = Invoice.__table__.c  # type: ignore[attr-defined]
Index("ix_invoices_tenant_balance", _INVOICE.tenant_id,
      _INVOICE.total_minor - _INVOICE.paid_minor, _INVOICE.id)
Index("ix_invoices_tenant_status_balance", _INVOICE.tenant_id, _INVOICE.status,
      _INVOICE.total_minor - _INVOICE.paid_minor, _INVOICE.id)


class InvoiceCount(SQLModel, table=True):
    """How many invoices a tenant holds in each status, so that a list's total is a read of a
    few rows rather than a count of every matching invoice.

    Kept by triggers on `invoices` (`INVOICE_COUNT_TRIGGERS`), in the transaction of whatever
    statement inserts, deletes or moves an invoice: commands, fixtures, resets, snapshot
    restores and SQL written straight into the database alike. Left out of snapshots: a
    restore's invoices are counted again as they are inserted. A tenant's rows fall to 0 when
    its invoices go; a new tenant given the same id starts from those zeros.
    """

    __tablename__ = "invoice_counts"
    __table_args__ = {"info": {"snapshot": False}}

    tenant_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    status: str = Field(primary_key=True)
    invoices: int = _int64(0)


# One statement per entry. SQLite has row triggers only; on PostgreSQL inserts and deletes are
# counted once per statement (a reset or restore of 100k invoices is one grouped update), and
# a status change per row, only when the status (or tenant) really changed.
_COUNT_UP = ("INSERT INTO invoice_counts (tenant_id, status, invoices) "
             "VALUES (NEW.tenant_id, NEW.status, 1) "
             "ON CONFLICT (tenant_id, status) DO UPDATE SET invoices = invoice_counts.invoices + 1")
_COUNT_DOWN = ("UPDATE invoice_counts SET invoices = invoices - 1 "
               "WHERE tenant_id = OLD.tenant_id AND status = OLD.status")
_MOVED_SQLITE = "OLD.status IS NOT NEW.status OR OLD.tenant_id IS NOT NEW.tenant_id"
_MOVED_PG = ("OLD.status IS DISTINCT FROM NEW.status "
             "OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id")
INVOICE_COUNT_TRIGGERS = {
    "sqlite": [
        f"CREATE TRIGGER invoice_counts_insert AFTER INSERT ON invoices BEGIN {_COUNT_UP}; END",
        f"CREATE TRIGGER invoice_counts_delete AFTER DELETE ON invoices BEGIN {_COUNT_DOWN}; END",
        f"CREATE TRIGGER invoice_counts_update AFTER UPDATE OF status, tenant_id ON invoices "
        f"WHEN {_MOVED_SQLITE} BEGIN {_COUNT_DOWN}; {_COUNT_UP}; END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION invoice_counts_added() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN INSERT INTO invoice_counts (tenant_id, status, invoices)"
        " SELECT tenant_id, status, count(*) FROM added GROUP BY tenant_id, status"
        " ON CONFLICT (tenant_id, status) DO UPDATE"
        " SET invoices = invoice_counts.invoices + EXCLUDED.invoices;"
        " RETURN NULL; END $$",
        "CREATE OR REPLACE FUNCTION invoice_counts_removed() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN UPDATE invoice_counts AS c SET invoices = c.invoices - r.invoices"
        " FROM (SELECT tenant_id, status, count(*) AS invoices FROM removed"
        " GROUP BY tenant_id, status) AS r"
        " WHERE c.tenant_id = r.tenant_id AND c.status = r.status;"
        " RETURN NULL; END $$",
        f"CREATE OR REPLACE FUNCTION invoice_counts_moved() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN {_COUNT_DOWN}; {_COUNT_UP}; RETURN NULL; END $$",
        "CREATE TRIGGER invoice_counts_insert AFTER INSERT ON invoices REFERENCING NEW TABLE AS"
        " added FOR EACH STATEMENT EXECUTE FUNCTION invoice_counts_added()",
        "CREATE TRIGGER invoice_counts_delete AFTER DELETE ON invoices REFERENCING OLD TABLE AS"
        " removed FOR EACH STATEMENT EXECUTE FUNCTION invoice_counts_removed()",
        f"CREATE TRIGGER invoice_counts_update AFTER UPDATE OF status, tenant_id ON invoices"
        f" FOR EACH ROW WHEN ({_MOVED_PG}) EXECUTE FUNCTION invoice_counts_moved()",
    ],
}
# Created with the tables (a new database); `invoices` comes first, the triggers need it.
_COUNTS: Any = InvoiceCount.__table__  # type: ignore[attr-defined]
_COUNTS.add_is_dependent_on(Invoice.__table__)  # type: ignore[attr-defined]
for _dialect, _statements in INVOICE_COUNT_TRIGGERS.items():
    for _statement in _statements:
        _ddl = DDL(_statement)  # type: ignore[no-untyped-call]
        event.listen(_COUNTS, "after_create", _ddl.execute_if(dialect=_dialect))


class Payment(SQLModel, table=True):
    __tablename__ = "payments"

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    invoice_id: int = Field(foreign_key="invoices.id", index=True)
    method: str  # CARD, CASH, CHECK, OTHER, BANK_TRANSFER ...
    amount_minor: int = _int64()
    locked: bool = False  # made by the customer at checkout: never changed through the API
    paid_at: datetime = _dt()
    attrs: dict[str, Any] = _json()
    created_at: datetime = _dt()
    updated_at: datetime = _dt()


class InvoiceItem(SQLModel, table=True):
    """An addressable line of an invoice (TransportOne charges) with its own status."""

    __tablename__ = "invoice_items"
    __table_args__ = (Index("ix_items_tenant_ref", "tenant_id", "ref"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    invoice_id: int | None = Field(default=None, foreign_key="invoices.id", index=True)
    ref: str
    status: str
    amount_minor: int = _int64()
    attrs: dict[str, Any] = _json()
    created_at: datetime = _dt()
    updated_at: datetime = _dt()


class InvoiceEvent(SQLModel, table=True):
    """Something that happened to an invoice and can be listed later (Harvest messages)."""

    __tablename__ = "invoice_events"

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    invoice_id: int = Field(foreign_key="invoices.id", index=True)
    kind: str
    attrs: dict[str, Any] = _json()
    created_at: datetime = _dt()


class AccessToken(SQLModel, table=True):
    __tablename__ = "access_tokens"

    token: str = Field(primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    expires_at: datetime = _dt()
    created_at: datetime = _dt()


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a request id, replayed for repeats of the same request."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenants.id", index=True)
    key: str
    fingerprint: str
    status_code: int
    content_type: str
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = _dt()


class Delivery(SQLModel, table=True):
    """An outgoing HTTP notification (webhook), kept until delivered or given up."""

    __tablename__ = "deliveries"

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(index=True)
    tenant_id: int | None = Field(default=None, foreign_key="tenants.id", index=True)
    event: str
    url: str
    headers: dict[str, str] = _json()
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    state: str = "pending"  # pending | delivered | failed
    attempts: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    next_attempt_at: datetime | None = _dt(nullable=True, index=True)
    created_at: datetime = _dt()
    # Durable, epoch-bound delivery (see webhooks): the scheme://host:port deliveries are
    # grouped by, the reset epoch it belongs to, and the lease of the process sending it.
    target: str = Field(default="", index=True)
    epoch: int = 0
    claimed_by: str | None = None
    lease_until: datetime | None = _dt(nullable=True)


class SandboxState(SQLModel, table=True):
    """The one row of process-independent sandbox state (see `app.core.state`)."""

    __tablename__ = "sandbox_state"

    id: int = Field(default=1, primary_key=True)
    # Bumped by every reset, tenant or credential change and fault-rule change: a process
    # drops a cache built at another generation.
    generation: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    clock_offset_us: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    clock_frozen_at: datetime | None = _dt(nullable=True)
    fault_rules: int = 0  # how many rules exist: 0 lets every request skip fault matching


class JournalEntry(SQLModel, table=True):
    """One recorded provider request, already bounded and redacted."""

    __tablename__ = "journal_entries"
    # Ids are never reused, even after the journal is emptied (SQLite: AUTOINCREMENT).
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    time: datetime = _dt()
    provider: str | None = None
    method: str
    path: str
    status: int | None = None
    fault: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    size: int = 0  # characters of text stored for this entry
    # When the answer went out, in µs of the machine's clock: listings are in this order, as
    # processes store their entries a few milliseconds late, each in batches (ids follow that).
    answered_us: int = Field(default=0, sa_column=Column(BigInteger, nullable=False,
                                                         server_default="0"))
    # JSON text: query, headers, bodies and byte counts as listed (see app.sandbox.journal);
    # serialised by the journal itself, which writes it on every request.
    record: str = Field(sa_column=Column(Text, nullable=False))


class FaultRuleRow(SQLModel, table=True):
    __tablename__ = "fault_rules"

    id: int | None = Field(default=None, primary_key=True)
    action: str
    provider: str | None = None
    method: str | None = None
    path: str | None = None
    path_regex: str | None = None
    tenant: str | None = None
    ms: int | None = None
    status: int | None = None
    times: int | None = None
    probability: float | None = None
    remaining: int | None = None  # of `times`; None means unlimited
    hits: int = 0
    created_at: datetime = _dt()


class RateHit(SQLModel, table=True):
    """One call counted in a sliding rate window (Harvest's throttle)."""

    __tablename__ = "rate_hits"
    __table_args__ = (Index("ix_rate_hits_scope_at", "scope", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str  # e.g. "harvest:ACCOUNT"
    at: datetime = _dt()
