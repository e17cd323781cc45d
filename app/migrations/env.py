"""Alembic's entry point: runs on the connection (and in the transaction) `core.schema` opened,
so the migration holds the lock taken there. No alembic.ini is needed."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
sqlite = connection.dialect.name == "sqlite"
context.configure(
    connection=connection,
    target_metadata=context.config.attributes.get("metadata"),
    # SQLite changes tables by copying them; and its column types are only affinities
    # (INTEGER and BIGINT hold the same numbers), so they are not compared there.
    render_as_batch=sqlite,
    compare_type=not sqlite,
)
with context.begin_transaction():
    context.run_migrations()
