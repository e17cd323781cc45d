"""CPU cost per request of the application itself, without sockets or the HTTP server.

    python -m bench.inproc                      # µs of CPU per request, each scenario
    python -m bench.inproc --cprofile create    # plus the hottest functions of one scenario
    python -m bench.inproc -s list,list-default --list-size 100000   # list pages (bench.lists)

It builds the app on a temporary SQLite file and calls it as an ASGI application, one request
at a time, measuring process CPU time (not wall time), so it stays comparable on a busy
machine. Set against `bench/run.py`'s "req/server-core-s", the difference is what uvicorn,
httptools and the sockets cost; `1e6 / µs` is the most one core can serve of that request.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as `python bench/inproc.py`
    sys.path.insert(0, str(ROOT))

from bench.lists import QUERIES, seed  # noqa: E402
from bench.run import PAYMENT, invoice_body  # noqa: E402

LIST_PAGES = {"list": QUERIES["maast balance page"], "list-default": QUERIES["maast default page"]}

ASGIApp = Callable[..., Any]


class Client:
    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        token = base64.b64encode(f":{key}".encode())
        self.auth = b"Basic " + token

    async def call(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        target, _, query = path.partition("?")
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": target, "raw_path": target.encode(),
            "query_string": query.encode(), "root_path": "", "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8080), "state": {},
            "headers": [(b"host", b"127.0.0.1:8080"), (b"authorization", self.auth),
                        (b"accept", b"application/json"),
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())],
        }
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client never disconnects
            raise AssertionError

        status = 0
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)

    async def ok(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        raw = b"" if body is None else json.dumps(body).encode()
        status, answer = await self.call(method, path, raw)
        if status != 200:
            raise RuntimeError(f"{method} {path} -> {status}: {answer[:300]!r}")
        return json.loads(answer)  # type: ignore[no-any-return]


async def measure(client: Client, scenario: str, count: int,
                  profiler: cProfile.Profile | None, db: Path,
                  list_size: int) -> tuple[float, float]:
    """(CPU µs per request, wall µs per request) over `count` sequential requests."""
    if scenario in LIST_PAGES:
        for i in range(2):  # the templates bench.lists copies: one sent, one saved
            made = await client.ok("POST", "/platform/invoice", invoice_body(f"T{i}"))
            if i == 0:
                await client.ok("POST", f"/platform/invoice/{made['data']['invoice_id']}/send", {})
        seed(db, list_size, harvest=False)
        calls = [("GET", LIST_PAGES[scenario], b"")] * count
    elif scenario == "detail":
        ids = [(await client.ok("POST", "/platform/invoice", invoice_body(f"D{i}")))["data"]
               ["invoice_id"] for i in range(50)]
        calls = [("GET", f"/platform/invoice/{ids[i % len(ids)]}/detail", b"")
                 for i in range(count)]
    elif scenario == "create":
        calls = [("POST", "/platform/invoice", json.dumps(invoice_body(f"B{i:012d}")).encode())
                 for i in range(count)]
    else:
        ids = [(await client.ok("POST", "/platform/invoice", invoice_body(f"P{i}", big=True)))
               ["data"]["invoice_id"] for i in range(50)]
        payment = json.dumps(PAYMENT).encode()
        calls = [("POST", f"/platform/invoice/{ids[i % len(ids)]}/payments", payment)
                 for i in range(count)]
    for method, path, body in calls[:50]:  # warm caches (statement cache, tenant cache)
        await client.call(method, path, body)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    for method, path, body in calls:
        status, answer = await client.call(method, path, body)
        if status != 200:
            raise RuntimeError(f"{method} {path} -> {status}: {answer[:300]!r}")
    if profiler is not None:
        profiler.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return cpu / count * 1e6, wall / count * 1e6


async def main_async(args: argparse.Namespace) -> None:
    from invoice_sandbox.main import create_app
    from invoice_sandbox.settings import Settings

    folder = Path(tempfile.mkdtemp(prefix="sandbox-inproc-"))
    app = create_app(Settings(db=str(folder / "inproc.sqlite"), fixtures=None))
    client = Client(app, args.key)
    print(f"{'scenario':<9} {'CPU µs/req':>10} {'wall µs/req':>11} {'max req/s/core':>14}")
    for scenario in args.scenarios.split(","):
        profiler = cProfile.Profile() if scenario == args.cprofile else None
        runner = client
        if scenario in LIST_PAGES:  # a tenant of its own, on a database of its own
            db = folder / f"{scenario}.sqlite"
            runner = Client(create_app(Settings(db=str(db), fixtures=None)), args.key)
        cpu_us, wall_us = await measure(runner, scenario, args.requests, profiler,
                                        folder / f"{scenario}.sqlite", args.list_size)
        print(f"{scenario:<9} {cpu_us:10.0f} {wall_us:11.0f} {1e6 / cpu_us:14.0f}")
        if profiler is not None:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.inproc", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--requests", type=int, default=2000,
                   help="requests per scenario (default 2000)")
    p.add_argument("-s", "--scenarios", default="detail,create,payment")
    p.add_argument("--key", default="bench-key")
    p.add_argument("--list-size", type=int, default=10_000,
                   help="invoices of the tenant the list scenarios page through")
    p.add_argument("--cprofile", metavar="SCENARIO", help="profile this scenario with cProfile")
    p.add_argument("--sort", default="cumulative", help="pstats sort key (default cumulative)")
    p.add_argument("--top", type=int, default=40, help="pstats lines (default 40)")
    args = p.parse_args()
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
