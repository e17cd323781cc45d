"""PayOne fixtures: a SmartLink client on an empty sandbox, on a sandbox shared by a test
module (one fresh merchant per test, which keeps the suite fast), and on the bundled fixtures."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from invoice_sandbox.main import create_app
from invoice_sandbox.settings import BUNDLED_FIXTURES, Settings
from payone_support import DEMO_MERCHANT, DEMO_TOKEN, PayOne, freeze
from sandbox_databases import fresh_db

_merchants = itertools.count(1)


@pytest.fixture
def api(client: TestClient) -> PayOne:
    """An empty sandbox of its own in open mode, clock frozen at NOW, merchant `abcMerchant`."""
    freeze(client)
    return PayOne(client)


@pytest.fixture(scope="module")
def shared_sandbox(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(db=fresh_db(request, tmp_path_factory.mktemp("payone") / "shared.sqlite"),
                        fixtures=None)
    with TestClient(create_app(settings), raise_server_exceptions=False) as http:
        freeze(http)
        yield http


@pytest.fixture
def shop(shared_sandbox: TestClient) -> PayOne:
    """A merchant no other test uses, on the module's sandbox (clock frozen at NOW; tests
    using it never move the clock)."""
    n = next(_merchants)
    return PayOne(shared_sandbox, f"shop{n}", f"shop-token-{n}")


@pytest.fixture
def demo(make_client: Callable[..., TestClient]) -> PayOne:
    """The bundled fixtures (loaded at wall-clock time), the demo merchant."""
    return PayOne(make_client(fixtures=BUNDLED_FIXTURES), DEMO_MERCHANT, DEMO_TOKEN)
