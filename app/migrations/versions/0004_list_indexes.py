"""List indexes: due expiry timers and every sort key found through an index, per tenant.

The two balance indexes are on the expression total_minor - paid_minor, which Alembic does not
compare; they are written here by hand.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision: str | None = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoices_expires_at'))
        batch_op.drop_index(batch_op.f('ix_invoices_tenant_status'))
        batch_op.create_index('ix_invoices_status_expires', ['status', 'expires_at'],
                              unique=False)
        batch_op.create_index('ix_invoices_tenant_created', ['tenant_id', 'created_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_invoices_tenant_number', ['tenant_id', 'number', 'id'],
                              unique=False)
        batch_op.create_index('ix_invoices_tenant_status_expires',
                              ['tenant_id', 'status', 'expires_at'], unique=False)
    balance = sa.text('(total_minor - paid_minor)')
    op.create_index('ix_invoices_tenant_balance', 'invoices', ['tenant_id', balance, 'id'])
    op.create_index('ix_invoices_tenant_status_balance', 'invoices',
                    ['tenant_id', 'status', balance, 'id'])



def downgrade() -> None:
    op.drop_index('ix_invoices_tenant_status_balance', 'invoices')
    op.drop_index('ix_invoices_tenant_balance', 'invoices')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_tenant_status_expires')
        batch_op.drop_index('ix_invoices_tenant_number')
        batch_op.drop_index('ix_invoices_tenant_created')
        batch_op.drop_index('ix_invoices_status_expires')
        batch_op.create_index(batch_op.f('ix_invoices_tenant_status'), ['tenant_id', 'status'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_expires_at'), ['expires_at'], unique=False)

