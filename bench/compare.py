"""The other servers `bench.run --compare` sets the sandbox against, and the side-by-side table.

- `ceiling`: bench/ceiling.py, a bare Starlette route per scenario answering the bytes captured
  from the sandbox, under the same uvicorn configuration: what the stack costs with no
  application behind it.
- `prism`: Stoplight Prism (`prism mock`) on the sandbox's own Maast OpenAPI document: a
  stateless mock of the same routes, the usual alternative to running the sandbox.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

TARGETS = ("ceiling", "prism")
BASELINE = "sandbox"
# Prism has no health route: that scenario is the sandbox's no-database floor only.
PRISM_SCENARIOS = ("detail", "create", "payment")


def parse_targets(value: str) -> list[str]:
    targets = [t.strip() for t in value.split(",") if t.strip()]
    unknown = sorted(set(targets) - set(TARGETS))
    if unknown:
        raise ValueError(f"unknown --compare target(s) {unknown}; choose from {TARGETS}")
    return targets


def ceiling_command(port: int, responses: Path) -> list[str]:
    return [sys.executable, "-m", "bench.ceiling", "--host", "127.0.0.1", "--port", str(port),
            "--responses", str(responses)]


def find_prism(explicit: str | None, root: Path) -> str | None:
    """`--prism PATH`, else $BENCH_PRISM, else node_modules/.bin/prism in the checkout, else
    `prism` on PATH."""
    for candidate in (explicit, os.environ.get("BENCH_PRISM"),
                      str(root / "node_modules" / ".bin" / "prism")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    if explicit:  # asked for by name: a command on PATH, or nothing
        return shutil.which(explicit)
    return shutil.which("prism")


def prism_command(binary: str, port: int, document: Path) -> list[str]:
    # Per-request logging off (`warn`): the sandbox keeps no access log either.
    return [binary, "mock", "--host", "127.0.0.1", "--port", str(port),
            "--verboseLevel", "warn", str(document)]


def rooted_document(document: dict[str, Any]) -> dict[str, Any]:
    """The document with its server's base path (`/platform`) moved into every path: Prism
    routes on `paths` alone, and the benchmark sends the sandbox's full paths to every target."""
    servers = document.get("servers") or [{"url": "/"}]
    base = urlparse(str(servers[0].get("url", "/"))).path.rstrip("/")
    out = dict(document)
    out["paths"] = {base + path: item for path, item in document.get("paths", {}).items()}
    out["servers"] = [{"url": "/"}]
    return out


# --- the side-by-side table ------------------------------------------------------------------

def ratio(mine: float | None, theirs: float | None) -> float | None:
    if mine is None or not theirs:
        return None
    return mine / theirs


def _num(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def comparison(measured: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Markdown lines: every target per scenario, then the sandbox's ratios to each other target
    (req/s, and req/server-core-s in parentheses). `measured` maps a target to its results, the
    sandbox's under "sandbox"; a scenario a target did not run shows "—"."""
    by_target = {t: {r["scenario"]: r for r in rows} for t, rows in measured.items()}
    others = [t for t in measured if t != BASELINE]
    scenarios = [r["scenario"] for r in measured.get(BASELINE, [])]
    lines = ["| scenario | server | req/s | p50 ms | p99 ms | errors | server cores "
             "| req/server-core-s |", "|---|---|---|---|---|---|---|---|"]
    for name in scenarios:
        for target in measured:
            r = by_target[target].get(name)
            if r is None:
                continue
            lines.append(f"| {name} | {target} | {_num(r['rps'])} | {_num(r['p50_ms'], 1)} "
                         f"| {_num(r['p99_ms'], 1)} | {r['errors']} "
                         f"| {_num(r.get('server_cores'), 2)} "
                         f"| {_num(r.get('rps_per_server_core'))} |")
    if not others:
        return lines
    lines += ["", "| scenario | " + " | ".join(f"{BASELINE}/{t}" for t in others) + " |",
              "|---|" + "---|" * len(others)]
    for name in scenarios:
        mine = by_target[BASELINE][name]
        cells = []
        for target in others:
            theirs = by_target[target].get(name)
            if theirs is None:
                cells.append("—")
                continue
            per_core = ratio(mine.get("rps_per_server_core"), theirs.get("rps_per_server_core"))
            cells.append(f"{_ratio(ratio(mine['rps'], theirs['rps']))} ({_ratio(per_core)})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines
