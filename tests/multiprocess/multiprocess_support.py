"""A pair of processes on one database, with an HTTP client for each."""

from __future__ import annotations

import httpx

from tests.conftest import ServedSandbox


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
