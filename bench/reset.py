"""Benchmark of start-up and of `POST /_sandbox/reset`, over real HTTP.

    python -m bench.reset                      # all three parts below
    python -m bench.reset --parts reset --resets 50
    python -m bench.reset --parts large --size 100000 --repeat 3
    python -m bench.reset --cprofile fixtures  # in-process cProfile of a reset (or `large`)

* **start**: how long `serve` with the bundled fixtures takes to answer `GET /_sandbox/health`
  with 200, on a new database (schema created, fixtures loaded) and again on the database it
  left (the common restart), `--starts` times each; also the server's CPU seconds until then,
  which a busy machine inflates less than the wall time.
* **reset**: `--resets` full resets of a server holding only the bundled fixtures, one after
  the other (the call a test suite makes before each test).
* **large**: a full reset while one Maast tenant holds `--size` invoices (seeded by SQL as
  `bench.lists` does, plus a payment row for each invoice with a payment), `--repeat` times;
  meanwhile one client sends invoice detail requests one after another, another
  `GET /_sandbox/health`, each on its own connection, and the report says how many were
  answered while the reset ran and the slowest one.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import http.client
import io
import json
import pstats
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as `python bench/reset.py`
    sys.path.insert(0, str(ROOT))

from bench import lists  # noqa: E402
from bench import run as bench  # noqa: E402

# `serve` with the bundled fixtures (bench.run's default template loads none).
SERVER_CMD = "{python} -m invoice_sandbox serve --host 127.0.0.1 --port {port} --db {db}"
DEMO_KEY = "maast-demo-key"  # fixtures/maast.toml
DEMO_AUTH = "Basic " + base64.b64encode(f":{DEMO_KEY}".encode()).decode()
# Targets of issue #12.
TARGETS_MS = {"start": 1000.0, "reset": 20.0, "large": 500.0}

_PAYMENTS = """
INSERT INTO payments (tenant_id, invoice_id, method, amount_minor, locked, paid_at, attrs,
                      created_at, updated_at)
SELECT tenant_id, id, 'CASH', paid_minor, 0, created_at, '{}', created_at, created_at
FROM invoices WHERE paid_minor > 0
"""


def _ms(seconds: float) -> float:
    return seconds * 1000.0


def _summary(values_ms: list[float]) -> dict[str, float]:
    ordered = sorted(values_ms)
    return {"median_ms": statistics.median(ordered), "min_ms": ordered[0],
            "max_ms": ordered[-1], "p90_ms": ordered[int(0.9 * (len(ordered) - 1))]}


def _call(server: bench.Server, method: str, path: str,
          headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _reset(server: bench.Server) -> float:
    """One full reset; its wall time in seconds."""
    began = time.perf_counter()
    status, raw = _call(server, "POST", "/_sandbox/reset")
    took = time.perf_counter() - began
    if status != 200:
        raise bench.BenchError(f"reset -> {status}: {raw[:300]!r}")
    return took


def _demo_invoice(server: bench.Server) -> int:
    status, raw = _call(server, "GET", "/platform/invoice?count=1",
                        {"Authorization": DEMO_AUTH, "Accept": "application/json"})
    if status != 200:
        raise bench.BenchError(f"demo invoice list -> {status}: {raw[:300]!r}")
    return int(json.loads(raw)["data"][0]["invoice_id"])


# --- start -------------------------------------------------------------------------------------

def part_start(args: argparse.Namespace) -> dict[str, Any]:
    walls: dict[str, list[float]] = {"new database": [], "existing database": []}
    cpus: dict[str, list[float]] = {"new database": [], "existing database": []}
    for _ in range(args.starts):
        with tempfile.TemporaryDirectory(prefix="bench-reset-") as tmp:
            for kind in walls:
                with bench.started_server(args.server_cmd, [], Path(tmp), 60.0) as server:
                    assert server.startup_s is not None
                    walls[kind].append(_ms(server.startup_s))
                    cpu = bench.tree_cpu_s(server.pid)
                    if cpu is not None:
                        cpus[kind].append(cpu * 1000.0)
    out: dict[str, Any] = {}
    for kind, values in walls.items():
        out[kind] = _summary(values)
        if cpus[kind]:
            out[kind]["cpu_median_ms"] = statistics.median(cpus[kind])
    return out


# --- reset with the bundled fixtures -----------------------------------------------------------

def part_reset(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-reset-") as tmp, \
            bench.started_server(args.server_cmd, [], Path(tmp), 60.0) as server:
        for _ in range(3):  # warm up: statements compiled, caches filled
            _reset(server)
        cpu0 = bench.tree_cpu_s(server.pid)
        times = [_ms(_reset(server)) for _ in range(args.resets)]
        cpu1 = bench.tree_cpu_s(server.pid)
    out = _summary(times)
    if cpu0 is not None and cpu1 is not None:
        out["cpu_ms_per_reset"] = (cpu1 - cpu0) * 1000.0 / args.resets
    return out


# --- reset of a large tenant, with a client reading meanwhile -----------------------------------

class Prober(threading.Thread):
    """Sends GET requests for `path` one after another on one keep-alive connection; keeps
    each one's (start, end, status)."""

    def __init__(self, server: bench.Server, path: str) -> None:
        super().__init__(daemon=True)
        self.server, self.path = server, path
        self.samples: list[tuple[float, float, int]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=120)
        headers = {"Authorization": DEMO_AUTH, "Accept": "application/json"}
        while not self.stopping.is_set():
            began = time.perf_counter()
            try:
                conn.request("GET", self.path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                status = 0
            self.samples.append((began, time.perf_counter(), status))
            time.sleep(0.001)
        conn.close()

    def during(self, start: float, end: float) -> dict[str, Any]:
        """The requests that overlapped [start, end]."""
        hit = [(b, e, s) for b, e, s in self.samples if e >= start and b <= end]
        lat = [_ms(e - b) for b, e, _ in hit]
        return {"requests": len(hit), "answered_inside": sum(1 for _, e, _ in hit if e < end),
                "max_ms": max(lat, default=0.0),
                "median_ms": statistics.median(lat) if lat else 0.0,
                "statuses": sorted({s for _, _, s in hit})}


def _seed_large(db: Path, size: int) -> float:
    took = lists.seed(db, size, harvest=False)
    began = time.perf_counter()
    conn = sqlite3.connect(db, timeout=60)
    with conn:
        conn.execute(_PAYMENTS)
    conn.close()
    return took + time.perf_counter() - began


def part_large(args: argparse.Namespace) -> dict[str, Any]:
    resets: list[float] = []
    probes: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-reset-") as tmp, \
            bench.started_server(args.server_cmd, [], Path(tmp), 60.0) as server:
        db = Path(tmp) / "bench.sqlite"
        _reset(server)
        probed = _demo_invoice(server)  # a fixture invoice: the same id after every reset
        for _ in range(args.repeat):
            lists.templates(server)
            seconds = _seed_large(db, args.size)
            print(f"{args.size} invoices seeded in {seconds:.1f} s", file=sys.stderr)
            # A provider request (recorded in the journal, which writes) and the control
            # plane's health (reads only).
            probers = {"detail": Prober(server, f"/platform/invoice/{probed}/detail"),
                       "health": Prober(server, "/_sandbox/health")}
            for prober in probers.values():
                prober.start()
            time.sleep(0.3)  # a few requests before the reset starts
            began = time.perf_counter()
            took = _reset(server)
            ended = time.perf_counter()
            time.sleep(0.3)
            for prober in probers.values():
                prober.stopping.set()
                prober.join()
            resets.append(_ms(took))
            probes.append({name: p.during(began, ended) for name, p in probers.items()})
    out: dict[str, Any] = {**_summary(resets), "probes": probes}
    return out


# --- in-process profile ----------------------------------------------------------------------

def profile(args: argparse.Namespace) -> None:
    from invoice_sandbox.core import fixtures
    from invoice_sandbox.main import create_app
    from invoice_sandbox.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix="bench-reset-"))
    db = folder / "inproc.sqlite"
    app = create_app(Settings(db=str(db)))
    sandbox = app.state.sandbox
    for _ in range(3):  # warm up: statements compiled, caches filled
        fixtures.reset(sandbox)
    profiler = cProfile.Profile()
    count = args.resets if args.cprofile == "fixtures" else 1
    for _ in range(count):
        if args.cprofile == "large":
            asyncio.run(_templates_inproc(app))
            _seed_large(db, args.size)
        began = time.perf_counter()
        profiler.enable()
        fixtures.reset(sandbox)
        profiler.disable()
        print(f"reset: {_ms(time.perf_counter() - began):.1f} ms", file=sys.stderr)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())


async def _templates_inproc(app: Any) -> None:
    from bench.inproc import Client

    client = Client(app, lists.MAAST_KEY)
    for i in range(2):
        made = await client.ok("POST", "/platform/invoice", bench.invoice_body(f"T{i}"))
        if i == 0:
            await client.ok("POST", f"/platform/invoice/{made['data']['invoice_id']}/send", {})


# --- the command -------------------------------------------------------------------------------

def _line(name: str, summary: dict[str, Any], target: float) -> str:
    verdict = "ok" if summary["median_ms"] <= target else "ABOVE TARGET"
    extra = "".join(f"  {k} {v:.1f}" for k, v in summary.items()
                    if k.startswith("cpu") and isinstance(v, float))
    return (f"{name:<28} median {summary['median_ms']:8.1f} ms  min {summary['min_ms']:8.1f}  "
            f"max {summary['max_ms']:8.1f}{extra}  (target {target:.0f} ms: {verdict})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.reset", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--parts", default="start,reset,large", help="from start,reset,large")
    p.add_argument("--starts", type=int, default=5, help="starts of each kind (default 5)")
    p.add_argument("--resets", type=int, default=30, help="resets with fixtures (default 30)")
    p.add_argument("--size", type=int, default=100_000, help="invoices of the large tenant")
    p.add_argument("--repeat", type=int, default=3, help="large resets (default 3)")
    p.add_argument("--server-cmd", default=SERVER_CMD, help="server command (see bench.run)")
    p.add_argument("--cprofile", choices=("fixtures", "large"),
                   help="profile resets in-process instead, and print the hottest functions")
    p.add_argument("--sort", default="cumulative", help="pstats sort key (default cumulative)")
    p.add_argument("--top", type=int, default=40, help="pstats lines (default 40)")
    p.add_argument("--json", action="store_true", help="also print one JSON summary line")
    args = p.parse_args(argv)
    if args.cprofile:
        profile(args)
        return 0
    parts = args.parts.split(",")
    results: dict[str, Any] = {"machine": bench.machine_info()}
    if "start" in parts:
        results["start"] = part_start(args)
        for kind, summary in results["start"].items():
            print(_line(f"start, {kind}", summary, TARGETS_MS["start"]))
    if "reset" in parts:
        results["reset"] = part_reset(args)
        print(_line("reset, bundled fixtures", results["reset"], TARGETS_MS["reset"]))
    if "large" in parts:
        results["large"] = part_large(args)
        print(_line(f"reset, {args.size} invoices", results["large"], TARGETS_MS["large"]))
        for probes in results["large"]["probes"]:
            for name, probe in probes.items():
                print(f"  meanwhile: {probe['requests']:3d} {name} requests overlapped the "
                      f"reset, {probe['answered_inside']} answered before it ended; slowest "
                      f"{probe['max_ms']:.1f} ms, median {probe['median_ms']:.1f} ms, "
                      f"statuses {probe['statuses']}")
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
