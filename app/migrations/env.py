"""Alembic's entry point: runs on the connection (and in the transaction) `core.schema` opened,
so the migration holds the lock taken there. No alembic.ini is needed."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context


def render_item(kind: str, obj: Any, _context: Any) -> str | Literal[False]:
    """Plain SQLAlchemy types in written revisions for the tables' own types (SQLModel's
    AutoString, core.tables.UTCDateTime): a revision must not depend on the code it upgrades."""
    if kind == "type":
        name = type(obj).__name__
        if name == "AutoString":
            return "sa.String()"
        if name == "UTCDateTime":
            return "sa.DateTime()"
    return False


connection = context.config.attributes["connection"]
sqlite = connection.dialect.name == "sqlite"
context.configure(
    connection=connection,
    target_metadata=context.config.attributes.get("metadata"),
    # SQLite changes tables by copying them; and its column types are only affinities
    # (INTEGER and BIGINT hold the same numbers), so they are not compared there.
    render_as_batch=sqlite,
    compare_type=not sqlite,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
