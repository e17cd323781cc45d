"""Alembic revisions of the sandbox's schema (applied by `invoice_sandbox.core.schema`).

Add one after changing `core/tables.py`:  python -m invoice_sandbox.migrations "what changed"
"""
