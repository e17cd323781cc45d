"""`serve --workers N`: one port, N processes, the database prepared once before they start."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from invoice_sandbox.settings import BUNDLED_FIXTURES

from tests.conftest import ROOT, ServedSandbox

DEMO = {"Authorization": "Basic " + base64.b64encode(b":maast-demo-key").decode()}


def children(pid: int) -> int:
    """Processes whose parent is `pid` (Linux /proc)."""
    count = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        count += fields[1] == str(pid)
    return count


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_two_workers_serve_one_port_over_one_seeded_database(
        start_process: Callable[..., ServedSandbox]) -> None:
    server = start_process("--workers", "2", "--fixtures", str(BUNDLED_FIXTURES))
    assert server.process is not None
    assert children(server.process.pid) >= 2  # the two workers (and a resource tracker)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        listings = [http.get("/platform/invoice", headers=DEMO) for _ in range(8)]
        assert {response.status_code for response in listings} == {200}
        # The fixtures were loaded once, by the starting process, not once per worker.
        numbers = [row["invoice_number"] for row in listings[0].json()["data"]]
        assert len(numbers) == len(set(numbers)) > 0
        assert all(r.json()["data"] == listings[0].json()["data"] for r in listings)
        ids = [e["id"] for e in http.get("/_sandbox/requests").json()["requests"]]
        assert len(ids) == len(set(ids)) == 8


@pytest.mark.parametrize(("flags", "reason"), [
    (("--workers", "0"), "--workers must be"),
    (("--workers", "two"), "--workers must be"),
    (("--workers", "²"), "--workers must be"),
    (("--workers", "2", "--db", ":memory:"), ":memory:"),
])
def test_bad_worker_counts_exit_2_with_one_line(flags: tuple[str, ...], reason: str,
                                                tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "invoice_sandbox", "serve", "--db",
                           str(tmp_path / "x.sqlite"), *flags],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert reason in done.stderr and len(done.stderr.strip().splitlines()) == 1
