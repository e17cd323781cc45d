"""A small HTTP/1.1 keep-alive load generator on raw asyncio streams (stdlib only).

It shares a 2-core machine with the server it measures, so it does as little as it can per
request: request bytes are built once, and of a response it parses only the status line and
`Content-Length` (chunked bodies are skipped correctly, but slowly; the sandbox never sends them).

Used by `bench/run.py`, usually in its own process: `python bench/loadgen.py < spec.json` reads
one JSON spec on stdin and prints one JSON result on stdout. The spec:

    {"host": "127.0.0.1", "port": 8080, "connections": 32, "duration": 10, "warmup": 1,
     "headers": {"Authorization": "Basic ..."},
     "requests": [{"method": "GET", "path": "/platform/invoice/1/detail"},
                  {"method": "POST", "path": "/platform/invoice", "body": "{... {seq} ...}"}]}

Requests are sent in turn across all connections. `{seq}` in a body becomes a 12-digit request
counter (fixed width, so Content-Length is computed once). Only requests that complete inside
the measured window (after the warm-up, before the deadline) count towards the rate and the
latency percentiles; every answered request counts in `ok_total`/`error_total`, which lets the
caller reconcile what the server stored with what it acknowledged.
"""

from __future__ import annotations

import asyncio
import json
import math
import resource
import sys
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

SEQ = "{seq}"
SEQ_WIDTH = 12


@dataclass
class Prepared:
    head: bytes
    body_prefix: bytes
    body_suffix: bytes
    numbered: bool

    def render(self, seq: int) -> bytes:
        if not self.numbered:
            return self.head + self.body_prefix
        return b"".join((self.head, self.body_prefix, b"%012d" % seq, self.body_suffix))


def prepare(spec: dict[str, Any]) -> list[Prepared]:
    host = f"{spec['host']}:{spec['port']}"
    common = {"Host": host, "Connection": "keep-alive", **spec.get("headers", {})}
    out: list[Prepared] = []
    for req in spec["requests"]:
        body: str | None = req.get("body")
        headers = {**common, **req.get("headers", {})}
        prefix = suffix = b""
        numbered = False
        length = 0
        if body is not None:
            numbered = SEQ in body
            if numbered:
                before, _, after = body.partition(SEQ)
                prefix, suffix = before.encode(), after.encode()
                length = len(prefix) + SEQ_WIDTH + len(suffix)
            else:
                prefix = body.encode()
                length = len(prefix)
            headers.setdefault("Content-Type", "application/json")
            headers["Content-Length"] = str(length)
        lines = [f"{req['method']} {req['path']} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        out.append(Prepared(head, prefix, suffix, numbered))
    return out


@dataclass
class Tally:
    latencies: array[float] = field(default_factory=lambda: array("d"))
    statuses: Counter[int] = field(default_factory=Counter)
    window_errors: int = 0
    ok_total: int = 0
    error_total: int = 0
    transport_errors: int = 0
    samples: list[str] = field(default_factory=list)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """(status, server wants to close, body) of one response."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    close = b"\r\nconnection: close" in lower
    pos = lower.find(b"\r\ncontent-length:")
    if pos >= 0:
        end = lower.index(b"\r\n", pos + 2)
        body = await reader.readexactly(int(lower[pos + 17:end]))
    elif b"\r\ntransfer-encoding: chunked" in lower:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(parts)
    else:  # no framing: the body runs to the end of the connection
        body = await reader.read()
        close = True
    return status, close, body


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    requests = prepare(spec)
    host, port = spec["host"], int(spec["port"])
    connections = int(spec.get("connections", 32))
    duration = float(spec.get("duration", 10))
    warmup = float(spec.get("warmup", 1))
    grace = float(spec.get("grace", 30))
    tally = Tally()
    counter = 0
    clock = time.perf_counter
    start = clock()
    measure_from = start + warmup
    deadline = measure_from + duration
    usage: list[resource.struct_rusage] = []

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(host, port, limit=1 << 20)

    async def worker() -> None:
        nonlocal counter
        reader, writer = await connect()
        try:
            while True:
                sent_at = clock()
                if sent_at >= deadline:
                    return
                seq = counter
                counter += 1
                writer.write(requests[seq % len(requests)].render(seq))
                try:
                    status, close, body = await _read_response(reader)
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                        ValueError) as exc:
                    tally.transport_errors += 1
                    tally.error_total += 1
                    if sent_at >= measure_from:
                        tally.window_errors += 1
                    if len(tally.samples) < 5:
                        tally.samples.append(f"transport: {exc!r}")
                    writer.close()
                    await asyncio.sleep(0.01)
                    reader, writer = await connect()
                    continue
                done_at = clock()
                good = 200 <= status < 300
                if good:
                    tally.ok_total += 1
                else:
                    tally.error_total += 1
                    if len(tally.samples) < 5:
                        tally.samples.append(f"{status}: {body[:300].decode('utf-8', 'replace')}")
                if sent_at >= measure_from and done_at <= deadline:
                    tally.latencies.append(done_at - sent_at)
                    tally.statuses[status] += 1
                    if not good:
                        tally.window_errors += 1
                if close:
                    writer.close()
                    reader, writer = await connect()
        finally:
            writer.close()

    async def mark_window() -> None:
        await asyncio.sleep(max(0.0, measure_from - clock()))
        usage.append(resource.getrusage(resource.RUSAGE_SELF))
        await asyncio.sleep(max(0.0, deadline - clock()))
        usage.append(resource.getrusage(resource.RUSAGE_SELF))

    marker = asyncio.create_task(mark_window())
    tasks = [asyncio.create_task(worker()) for _ in range(connections)]
    done, pending = await asyncio.wait(tasks, timeout=warmup + duration + grace)
    for task in pending:
        task.cancel()
    await marker
    failures = [t.exception() for t in done if t.exception() is not None]
    cpu = None
    if len(usage) == 2:
        a, b = usage
        cpu = (b.ru_utime - a.ru_utime) + (b.ru_stime - a.ru_stime)
    return summarise(tally, duration, connections, cpu, complete=not pending and not failures,
                     failures=[repr(f) for f in failures[:3]])


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


def summarise(tally: Tally, duration: float, connections: int, cpu: float | None,
              complete: bool, failures: list[str]) -> dict[str, Any]:
    ordered = sorted(tally.latencies)
    ms = 1000.0
    count = len(ordered)
    return {
        "tool": "builtin",
        "connections": connections,
        "duration_s": duration,
        "requests": count,
        "rps": count / duration if duration else 0.0,
        "p50_ms": percentile(ordered, 0.50) * ms,
        "p90_ms": percentile(ordered, 0.90) * ms,
        "p99_ms": percentile(ordered, 0.99) * ms,
        "max_ms": (ordered[-1] if ordered else float("nan")) * ms,
        "mean_ms": (sum(ordered) / count if count else float("nan")) * ms,
        "errors": tally.window_errors,
        "transport_errors": tally.transport_errors,
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "ok_total": tally.ok_total,
        "error_total": tally.error_total,
        "complete": complete,
        "failures": failures,
        "error_samples": tally.samples,
        "loadgen_cpu_s": cpu,
    }


def execute(spec: dict[str, Any]) -> dict[str, Any]:
    """Run `spec` on uvloop when asked for or (`auto`) when installed: it is cheaper per request
    than the stock loop, and every cycle the generator spends is one the server does not get."""
    choice = spec.get("loop", "auto")
    runner: Any = asyncio.run
    name = "asyncio"
    if choice != "asyncio":
        try:
            import uvloop

            runner, name = uvloop.run, "uvloop"
        except ImportError:
            if choice == "uvloop":
                raise
    result: dict[str, Any] = runner(run(spec))
    result["loop"] = name
    return result


def main() -> int:
    spec = json.loads(sys.stdin.read())
    result = execute(spec)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
