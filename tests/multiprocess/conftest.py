"""Two `serve` processes on one database: the sandbox they serve must be one.

The database both use comes from `db_location` (tests/conftest.py), so the same tests run on
PostgreSQL when INVOICE_SANDBOX_TEST_PG is set.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from multiprocess_support import Pair

from tests.conftest import ServedSandbox


@pytest.fixture
def start_process(db_location: Callable[..., str]) -> Iterator[Callable[..., ServedSandbox]]:
    """`start_process(*flags)`: one more `serve` process on the test's database."""
    location = db_location("shared.sqlite")
    started: list[ServedSandbox] = []

    def start(*flags: str) -> ServedSandbox:
        server = ServedSandbox(location, "--fixtures", "none", *flags)  # type: ignore[arg-type]
        started.append(server)
        server.start(timeout=120.0)  # worker processes start slowly on a busy machine
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def pair(start_process: Callable[..., ServedSandbox]) -> Iterator[Pair]:
    first = start_process("--harvest-throttle", "true")
    processes = Pair(first, start_process("--harvest-throttle", "true"))
    yield processes
    processes.close()
