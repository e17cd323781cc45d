"""The tables of durable background work: the reset epoch and jobs. (Outbox deliveries are
`tables.Delivery`.) Kept apart from `db` so that `db` can import them to create them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary
from sqlmodel import Field, SQLModel

from .tables import UTCDateTime

EPOCH_ROW_ID = 1


class SandboxEpoch(SQLModel, table=True):
    """One row: the number of resets so far (a database without the row is at epoch 0)."""

    __tablename__ = "sandbox_epoch"

    id: int = Field(default=EPOCH_ROW_ID, primary_key=True)
    value: int = 0


class Job(SQLModel, table=True):
    """Work promised to a client (e.g. a bulk upload answered 202), done in committed steps by
    whichever process holds its lease; deleted when finished."""

    __tablename__ = "jobs"

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    tenant_id: int | None = Field(default=None, foreign_key="tenants.id", index=True)
    epoch: int = 0
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # the handler's input
    progress: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    claimed_by: str | None = None
    lease_until: datetime | None = Field(default=None,
                                         sa_column=Column(UTCDateTime(), nullable=True,
                                                          index=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
