"""The journal's memory is bounded: every entry is cut to fixed sizes, and the table is pruned to
its capacity, whatever clients send (issue: a 1 MiB header per request was kept whole)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from invoice_sandbox.core.tables import JournalEntry
from invoice_sandbox.sandbox.journal import (
    HEADER_COUNT_LIMIT,
    HEADER_VALUE_LIMIT,
    MAX_ENTRY_BYTES,
    PRUNE_EVERY,
    TEXT_LIMIT,
)
from sqlalchemy import func
from sqlmodel import select

from tests.conftest import ServedSandbox, basic

AUTH = basic("", "bounds-key-1")
MIB = 1 << 20


def entries(client: TestClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/_sandbox/requests",
                                             params={"limit": "1000"}).json()["requests"]
    return found


def stored(client: TestClient) -> tuple[int, int]:
    """Rows in the journal table and the characters of text they hold."""
    db = client.app.state.sandbox.db  # type: ignore[attr-defined]
    with db.read() as session:
        count, size = session.exec(select(func.count(), func.coalesce(func.sum(
            JournalEntry.size), 0)).select_from(JournalEntry)).one()
    return int(count), int(size)


def test_a_huge_header_query_and_path_are_cut(client: TestClient) -> None:
    response = client.get("/platform/invoice/" + "p" * 30_000,
                          params={"q": "x" * 60_000},
                          headers={**AUTH, "x-big": "h" * MIB})
    assert response.status_code < 500
    entry = entries(client)[0]
    assert len(entry["request"]["headers"]["x-big"]) == HEADER_VALUE_LIMIT
    assert entry["request"]["headers"]["x-big"].endswith("[cut]")
    assert len(entry["query"]) == TEXT_LIMIT and len(entry["path"]) == TEXT_LIMIT
    assert stored(client)[1] <= MAX_ENTRY_BYTES


def test_many_headers_are_cut_to_a_fixed_number(client: TestClient) -> None:
    headers = {f"x-h{n}": "v" * 2000 for n in range(300)}
    client.get("/platform/invoice", headers={**AUTH, **headers})
    kept = entries(client)[0]["request"]["headers"]
    assert len(kept) <= HEADER_COUNT_LIMIT
    assert all(len(value) <= HEADER_VALUE_LIMIT for value in kept.values())


def test_the_total_is_bounded_by_capacity_times_the_entry_bound(client: TestClient) -> None:
    capacity = 5
    client.app.state.journal.resize(capacity)  # type: ignore[attr-defined]
    big = {f"x-h{n}": "v" * 4000 for n in range(80)}
    for _ in range(3 * PRUNE_EVERY):
        client.post("/platform/invoice", content=b"b" * 100_000,
                    headers={**AUTH, **big, "content-type": "application/json"})
    count, size = stored(client)
    assert count <= capacity + PRUNE_EVERY
    assert size <= (capacity + PRUNE_EVERY) * MAX_ENTRY_BYTES
    assert len(entries(client)) == capacity  # a listing shows the newest `capacity`


def test_control_plane_numbers_take_ascii_digits_only(client: TestClient) -> None:
    client.get("/platform/invoice", headers=AUTH)
    for params in ({"since": "²"}, {"limit": "³"}, {"since": "١"}, {"limit": "5\n"}):
        response = client.get("/_sandbox/requests", params=params)
        assert response.status_code == 400, params
        assert set(response.json()["error"]) == {"code", "message"}
    for method in ("GET", "DELETE"):
        response = client.request(method, "/_sandbox/faults/¹")
        assert response.status_code == 404
        assert set(response.json()["error"]) == {"code", "message"}


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_served_process_stays_small_under_large_headers_and_bodies(
        served: Callable[..., ServedSandbox]) -> None:
    server = served()
    assert server.process is not None
    with httpx.Client(base_url=server.url, timeout=60) as http:
        http.get("/platform/invoice", headers=AUTH)
        before = _rss_mib(server.process.pid)
        for _ in range(300):  # 300 MiB of headers, 75 MiB of bodies
            http.post("/platform/invoice", content=b"b" * (256 * 1024),
                      headers={**AUTH, "x-big": "h" * MIB, "content-type": "application/json"})
        grown = _rss_mib(server.process.pid) - before
        assert grown < 100, f"grew by {grown:.0f} MiB"
        assert http.get("/_sandbox/requests", params={"limit": "1000"}).status_code == 200
