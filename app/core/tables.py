"""The shared tables. Money columns are integer minor units; datetimes are stored as UTC.

Provider-specific wire data that the core has no rule about (contacts, notes, line items as the
client sent them) lives in the `attrs` JSON column of the row it belongs to.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
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
