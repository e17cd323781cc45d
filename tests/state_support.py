"""Every row of every table, to prove a refused request changed nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

# What every request writes by design: the journal records the refused request too.
RECORDS_OF_REQUESTS = {"journal_entries"}


def everything(client: TestClient) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the request journal."""
    engine = client.app.state.sandbox.db.engine  # type: ignore[attr-defined]
    tables = [t for t in inspect(engine).get_table_names() if t not in RECORDS_OF_REQUESTS]
    with engine.connect() as conn:
        return {table: sorted(map(tuple, conn.execute(text(f'SELECT * FROM "{table}"'))),
                              key=repr)
                for table in tables}
