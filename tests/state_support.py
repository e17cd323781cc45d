"""Every row of every table, to prove a refused request changed nothing."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import inspect, text


def everything(client: TestClient) -> dict[str, list[tuple[Any, ...]]]:
    engine = client.app.state.sandbox.db.engine  # type: ignore[attr-defined]
    tables = inspect(engine).get_table_names()
    with engine.connect() as conn:
        return {table: sorted(map(tuple, conn.execute(text(f'SELECT * FROM "{table}"'))),
                              key=repr)
                for table in tables}
