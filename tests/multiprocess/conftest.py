"""Two `serve` processes on one database: the sandbox they serve must be one.

The database both use comes from `database_location()` alone, so the same tests can run against
another engine by setting INVOICE_SANDBOX_TEST_DB (a database URL; its data is reset first).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from multiprocess_support import TEST_DB_ENV, Pair, database_location

from tests.conftest import ServedSandbox


@pytest.fixture
def start_process(tmp_path: Path) -> Iterator[Callable[..., ServedSandbox]]:
    """`start_process(*flags)`: one more `serve` process on the test's database."""
    location = database_location(tmp_path)
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
    if os.environ.get(TEST_DB_ENV):  # a shared server database: start from a clean sandbox
        httpx.post(f"{first.url}/_sandbox/reset", timeout=30).raise_for_status()
    processes = Pair(first, start_process("--harvest-throttle", "true"))
    yield processes
    processes.close()
