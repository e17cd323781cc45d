"""The journal is written behind the traffic (see `invoice_sandbox.sandbox.journal`): what a
client sees must be exactly what it saw when every entry was its own commit."""

from __future__ import annotations

import base64
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from served_sandbox import ServedSandbox

AUTH = {"Authorization": "Basic " + base64.b64encode(b":writer-key-1").decode()}


def test_a_burst_is_listed_whole_in_the_order_answered(
        served: Callable[..., ServedSandbox]) -> None:
    server = served("--fixtures", "none")

    def detail(number: int) -> int:
        with httpx.Client(base_url=server.url) as http:
            return http.get(f"/platform/invoice/{number}/detail", headers=AUTH).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(detail, range(64)))
    assert statuses == [400] * 64  # Maast answers an unknown invoice with 400
    listed = httpx.get(f"{server.url}/_sandbox/requests", params={"limit": 100}).json()
    assert listed["total"] == 64
    paths = {e["path"] for e in listed["requests"]}
    assert paths == {f"/platform/invoice/{n}/detail" for n in range(64)}
    ids = [e["id"] for e in listed["requests"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 64


def test_what_was_answered_before_a_graceful_stop_is_kept(
        served: Callable[..., ServedSandbox]) -> None:
    first = served("--fixtures", "none")
    with httpx.Client(base_url=first.url) as http:
        for number in range(20):
            http.get(f"/platform/invoice/{number}/detail", headers=AUTH)
    first.stop()  # SIGTERM straight after the last answer
    again = served("--fixtures", "none", db=first.db)
    listed = httpx.get(f"{again.url}/_sandbox/requests", params={"limit": 100}).json()
    assert [e["path"] for e in listed["requests"]] == [f"/platform/invoice/{n}/detail"
                                                        for n in reversed(range(20))]
    assert "writer-key-1" not in str(listed)
