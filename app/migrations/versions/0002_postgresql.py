"""64-bit money and public ids, for PostgreSQL.

Maast merchant ids and amounts up to the providers' limits do not fit PostgreSQL's 32-bit
INTEGER. SQLite stores every integer in up to 64 bits whatever the declared type, so there the
columns stay as they are.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

WIDENED = {
    "tenants": ("public_id",),
    "invoices": ("total_minor", "paid_minor", "refunded_minor"),
    "payments": ("amount_minor",),
    "invoice_items": ("amount_minor",),
}


def _retype(new: sa.types.TypeEngine[int], old: sa.types.TypeEngine[int]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, columns in WIDENED.items():
        for column in columns:
            op.alter_column(table, column, type_=new, existing_type=old, existing_nullable=False)


def upgrade() -> None:
    _retype(sa.BigInteger(), sa.Integer())


def downgrade() -> None:
    _retype(sa.Integer(), sa.BigInteger())
