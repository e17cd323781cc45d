"""The database of the multi-process tests, and a pair of processes on it."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from tests.conftest import ServedSandbox

TEST_DB_ENV = "INVOICE_SANDBOX_TEST_DB"


def database_location(tmp_path: Path) -> str:
    """Where the processes of one test keep their state: INVOICE_SANDBOX_TEST_DB, else a new
    SQLite file."""
    return os.environ.get(TEST_DB_ENV) or str(tmp_path / "shared.sqlite")


class Pair:
    """Processes A and B on one database, with an HTTP client for each."""

    def __init__(self, a: ServedSandbox, b: ServedSandbox) -> None:
        self.a = httpx.Client(base_url=a.url, timeout=30)
        self.b = httpx.Client(base_url=b.url, timeout=30)
        self.servers = (a, b)

    def both(self) -> tuple[httpx.Client, httpx.Client]:
        return self.a, self.b

    def close(self) -> None:
        self.a.close()
        self.b.close()
