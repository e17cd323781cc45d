"""Invoice counts per tenant and status, kept by triggers on `invoices`, for list totals; and
the index of Harvest's default list order (issue date).

The triggers are SQL Alembic does not compare; they are written here as `core.tables` declares
them at this revision. Existing invoices are counted once, in this transaction.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision: str | None = '0004'
branch_labels = None
depends_on = None

_UP = ("INSERT INTO invoice_counts (tenant_id, status, invoices) "
       "VALUES (NEW.tenant_id, NEW.status, 1) "
       "ON CONFLICT (tenant_id, status) DO UPDATE SET invoices = invoice_counts.invoices + 1")
_DOWN = ("UPDATE invoice_counts SET invoices = invoices - 1 "
         "WHERE tenant_id = OLD.tenant_id AND status = OLD.status")
TRIGGERS = {
    "sqlite": [
        f"CREATE TRIGGER invoice_counts_insert AFTER INSERT ON invoices BEGIN {_UP}; END",
        f"CREATE TRIGGER invoice_counts_delete AFTER DELETE ON invoices BEGIN {_DOWN}; END",
        "CREATE TRIGGER invoice_counts_update AFTER UPDATE OF status, tenant_id ON invoices "
        "WHEN OLD.status IS NOT NEW.status OR OLD.tenant_id IS NOT NEW.tenant_id "
        f"BEGIN {_DOWN}; {_UP}; END",
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
        "CREATE OR REPLACE FUNCTION invoice_counts_moved() RETURNS trigger LANGUAGE plpgsql AS"
        f" $$ BEGIN {_DOWN}; {_UP}; RETURN NULL; END $$",
        "CREATE TRIGGER invoice_counts_insert AFTER INSERT ON invoices REFERENCING NEW TABLE AS"
        " added FOR EACH STATEMENT EXECUTE FUNCTION invoice_counts_added()",
        "CREATE TRIGGER invoice_counts_delete AFTER DELETE ON invoices REFERENCING OLD TABLE AS"
        " removed FOR EACH STATEMENT EXECUTE FUNCTION invoice_counts_removed()",
        "CREATE TRIGGER invoice_counts_update AFTER UPDATE OF status, tenant_id ON invoices"
        " FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status"
        " OR OLD.tenant_id IS DISTINCT FROM NEW.tenant_id)"
        " EXECUTE FUNCTION invoice_counts_moved()",
    ],
}
DROPS = {
    "sqlite": [],
    "postgresql": ["DROP FUNCTION invoice_counts_added()", "DROP FUNCTION invoice_counts_removed()",
                   "DROP FUNCTION invoice_counts_moved()"],
}


def upgrade() -> None:
    op.create_table('invoice_counts',
    sa.Column('tenant_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('invoices', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'status')
    )
    op.execute("INSERT INTO invoice_counts (tenant_id, status, invoices) "
               "SELECT tenant_id, status, count(*) FROM invoices GROUP BY tenant_id, status")
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    # Plain CREATE INDEX: a batch (copy-and-move) of the table would drop its triggers.
    op.create_index('ix_invoices_tenant_issued', 'invoices', ['tenant_id', 'issue_date', 'id'])


def downgrade() -> None:
    op.drop_index('ix_invoices_tenant_issued', 'invoices')
    for name in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER invoice_counts_{name} ON invoices"
                   if op.get_bind().dialect.name == "postgresql"
                   else f"DROP TRIGGER invoice_counts_{name}")
    for statement in DROPS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table('invoice_counts')
