"""Harvest fixtures: an account on an empty sandbox, a fresh account on a sandbox shared by a
test module (for the long parametrised tables), and the bundled demo account (alone, or on a
sandbox shared by a module for tests that only read it)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from harvest_support import DEMO_EMAIL, DEMO_PASSWORD, Harvest, freeze
from invoice_sandbox.main import create_app
from invoice_sandbox.settings import BUNDLED_FIXTURES, Settings
from sandbox_databases import fresh_db


@pytest.fixture
def hv(client: TestClient) -> Harvest:
    """An empty sandbox in open mode, clock frozen at NOW, user tester@example.com."""
    freeze(client)
    return Harvest(client)


@pytest.fixture(scope="module")
def shared_client(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = fresh_db(request, tmp_path_factory.mktemp("harvest") / "shared.sqlite")
    with TestClient(create_app(Settings(db=db, fixtures=None)),
                    raise_server_exceptions=False) as http:
        freeze(http)
        yield http


@pytest.fixture(scope="module")
def shared_demo(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = fresh_db(request, tmp_path_factory.mktemp("harvest-demo") / "demo.sqlite")
    with TestClient(create_app(Settings(db=db, fixtures=BUNDLED_FIXTURES)),
                    raise_server_exceptions=False) as http:
        yield http


@pytest.fixture
def account(shared_client: TestClient) -> Harvest:
    """A new account (open mode, its own email) on the module's sandbox; clock frozen at NOW.
    Tests using it must not move the clock."""
    return Harvest(shared_client, f"u{uuid.uuid4().hex[:12]}@example.com", "pw")


@pytest.fixture
def hv_demo(make_client: Callable[..., TestClient]) -> Harvest:
    """The bundled fixtures (loaded at wall-clock time) as the demo account's owner."""
    return Harvest(make_client(fixtures=BUNDLED_FIXTURES), DEMO_EMAIL, DEMO_PASSWORD)
