"""Shared test fixtures: an in-process client per test and a real served process on demand.

The database engine comes from the environment: with `INVOICE_SANDBOX_TEST_PG` set to a
PostgreSQL server URL (e.g. `postgresql://postgres@127.0.0.1:5432/postgres`) every sandbox a test
builds gets an empty PostgreSQL database of its own; unset, a SQLite file as before. Everything
that needs a database location asks `fresh_db` (or the `db_location` fixture) for one.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from invoice_sandbox.main import create_app
from invoice_sandbox.settings import BUNDLED_FIXTURES, Settings
from sandbox_databases import POSTGRES, fresh_db
from served_sandbox import ServedSandbox

ROOT = Path(__file__).resolve().parent.parent


def pytest_sessionfinish(session: pytest.Session) -> None:
    if POSTGRES is not None:
        POSTGRES.drop_all()


@pytest.fixture
def db_location(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., str]:
    """`db_location(name)`: a fresh database location (see `fresh_db`); the SQLite file is
    `name` in the test's temporary folder."""
    return lambda name="db.sqlite": fresh_db(request, tmp_path / name)


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def make_client(db_location: Callable[..., str]) -> Iterator[Callable[..., TestClient]]:
    """Build a TestClient over a fresh database; keyword arguments go to Settings."""
    clients: list[TestClient] = []

    def build(**overrides: object) -> TestClient:
        if "db" not in overrides:
            overrides["db"] = db_location(f"db{len(clients)}.sqlite")
        settings = Settings(**{"fixtures": None, **overrides})  # type: ignore[arg-type]
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)
        client.app.state.sandbox.db.dispose()  # type: ignore[attr-defined]


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    """An empty sandbox (no fixtures), open auth."""
    return make_client()


@pytest.fixture
def demo_client(make_client: Callable[..., TestClient]) -> TestClient:
    """A sandbox seeded with the bundled fixtures."""
    return make_client(fixtures=BUNDLED_FIXTURES)


@pytest.fixture
def served(db_location: Callable[..., str]) -> Iterator[Callable[..., ServedSandbox]]:
    """Start real servers: `served(*flags)`, each on a new database unless given `db` (e.g.
    another server's, `server.db`); each is stopped after the test."""
    servers: list[ServedSandbox] = []

    def start(*extra: str, db: str | None = None) -> ServedSandbox:
        server = ServedSandbox(db or db_location(f"served{len(servers)}.sqlite"), *extra)
        servers.append(server)  # before start(): one that never got healthy is stopped too
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()
