"""Throughput with `--workers 1` and `--workers 2`, on SQLite and on PostgreSQL, side by side.

    python -m bench.engines --pg postgresql://postgres@127.0.0.1:5432/postgres [-d 5]

Each configuration is one `bench.run` (a fresh server, its own database) with the same scenarios,
connections and duration, run one after the other in this process's run, so the figures come
from the same machine in the same minutes. On PostgreSQL each configuration gets a new database
made on the given server (the user needs the right to create databases); it is dropped after.
Without `--pg` only the SQLite rows are measured.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import uuid
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

SCENARIOS = "detail,create,payment"


def _pg_database(server_url: str) -> tuple[str, str]:
    """A new, empty database on the server: (its URL, its name)."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server_url).set(database=name)
    return url.render_as_string(hide_password=False), name


def _drop(server_url: str, name: str) -> None:
    admin = create_engine(server_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _run(engine: str, workers: int, db: str | None, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.run", "--json", "-s", SCENARIOS,
               "-d", str(args.duration), "-c", str(args.connections),
               "--server-arg=--workers", f"--server-arg={workers}"]
    if db is not None:
        command += ["--server-cmd", "{python} -m invoice_sandbox serve --host 127.0.0.1 "
                                    "--port {port} --db " + db + " --fixtures none"]
    print(f"== {engine}, --workers {workers}", file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench.engines: {engine} --workers {workers} failed:\n{done.stderr}")
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.engines", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pg", help="a PostgreSQL server URL (postgresql://user@host:port/db)")
    p.add_argument("-d", "--duration", type=float, default=5.0, help="seconds per scenario")
    p.add_argument("-c", "--connections", type=int, default=32)
    args = p.parse_args(argv)
    rows: list[tuple[str, int, dict[str, Any]]] = []
    for workers in (1, 2):
        rows.append(("sqlite", workers, _run("sqlite", workers, None, args)))
    if args.pg:
        for workers in (1, 2):
            url, name = _pg_database(args.pg)
            try:
                rows.append(("postgresql", workers, _run("postgresql", workers, url, args)))
            finally:
                _drop(args.pg, name)
    print(f"{'engine':<11} {'workers':>7} " + " ".join(
        f"{s + ' req/s':>15} {'p99 ms':>7}" for s in SCENARIOS.split(",")))
    for engine, workers, summary in rows:
        cells = []
        for scenario in SCENARIOS.split(","):
            figures = summary["scenarios"][scenario]
            cells.append(f"{figures['rps']:>15,.0f} {figures['p99_ms']:>7.1f}")
        print(f"{engine:<11} {workers:>7} " + " ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
