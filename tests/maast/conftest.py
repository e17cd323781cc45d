"""Maast fixtures: OpenAPI-checked clients, each test in a tenant of its own.

Most tests share one in-process sandbox (building an app per test costs more than the test) and
stay apart the way Maast merchants do: every test gets a fresh API key, so a tenant of its own.
Tests that need a pristine database (exact ids, strict mode, fixtures) build their own app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from invoice_sandbox.main import create_app
from invoice_sandbox.settings import BUNDLED_FIXTURES, Settings
from maast_support import DEMO_KEY, Maast, freeze
from sandbox_databases import fresh_db


@pytest.fixture(scope="session")
def shared_http(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = fresh_db(request, tmp_path_factory.mktemp("maast") / "shared.sqlite")
    with TestClient(create_app(Settings(db=db, fixtures=None)),
                    raise_server_exceptions=False) as http:
        yield http


@pytest.fixture
def api(shared_http: TestClient) -> Maast:
    """A new tenant (open mode) in the shared sandbox, its clock frozen at NOW."""
    freeze(shared_http)
    return Maast(shared_http, key=f"test-{uuid4().hex}")


@pytest.fixture
def demo(make_client: Callable[..., TestClient]) -> Maast:
    """A sandbox of its own with the bundled fixtures, clock frozen at NOW, the demo key."""
    http = make_client(fixtures=BUNDLED_FIXTURES)
    freeze(http)
    return Maast(http, key=DEMO_KEY)
