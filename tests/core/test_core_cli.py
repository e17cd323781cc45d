"""`python -m invoice_sandbox serve`: bad flags and unusable databases end with one line and a
non-zero status, never a traceback; `--fixtures none` starts an empty sandbox."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from invoice_sandbox import cli
from invoice_sandbox.main import create_app
from invoice_sandbox.settings import BUNDLED_FIXTURES, Settings

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_bad_flags_and_databases_fail_with_one_line(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    broken_fixtures = tmp_path / "fixtures"
    broken_fixtures.mkdir()
    (broken_fixtures / "maast.toml").write_text("[[tenants]\napi_key = ", encoding="utf-8")
    # Each case that gets as far as binding needs a port of its own: they run side by side.
    port, port2, port3, port4 = (str(free_port()) for _ in range(4))
    fresh = str(tmp_path / "fresh.db")
    cases: list[tuple[list[str], dict[str, str], str]] = [
        (["serve", "--port", "abc"], {}, "--port"),
        (["--port", "abc"], {}, "--port"),  # bare invocation serves too
        (["serve", "--port", "70000"], {}, "--port"),
        (["serve", "--auth", "maybe"], {}, "--auth"),
        (["serve", "--port", port], {"INVOICE_SANDBOX_AUTH": "maybe"}, "--auth"),
        (["serve", "--bogus"], {}, "--bogus"),
        (["serve", "--public-url", "ftp://example.com"], {}, "--public-url"),
        (["serve", "--fixtures", str(tmp_path / "missing")], {}, "does not exist"),
        (["serve", "--port", port2, "--db", "/nonexistent/dir/x.db"], {}, "does not exist"),
        (["serve", "--port", port3, "--db", str(garbage)], {}, "garbage.db"),
        (["serve", "--port", port4, "--db", fresh, "--fixtures", str(broken_fixtures)], {},
         "maast.toml"),
    ]
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("INVOICE_SANDBOX_")}
    base_env["PYTHONPATH"] = str(ROOT)
    running = [
        (args, reason, subprocess.Popen(
            [sys.executable, "-m", "invoice_sandbox", *args], cwd=ROOT, env={**base_env, **env},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for args, env, reason in cases
    ]
    try:
        for args, reason, process in running:
            try:
                out, err = process.communicate(timeout=90)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                raise AssertionError(f"{args} kept running") from None
            assert process.returncode != 0, args
            lines = err.strip().splitlines()
            assert len(lines) == 1, (args, err)
            assert reason in lines[0], (args, err)
            assert "Traceback" not in err + out, args
    finally:
        for _, _, process in running:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_fixtures_none_starts_empty_and_the_default_loads_the_demo(
        db_location: Callable[..., str]) -> None:
    demo = {"Authorization": "Basic " + base64.b64encode(b":maast-demo-key").decode()}
    counts = []
    for n, flags in enumerate([["--fixtures", "none"], []]):
        ns = cli._parser().parse_args(["serve", "--db", db_location(f"{n}.db"), *flags])
        with TestClient(create_app(cli.settings_from(ns))) as http:
            assert http.get("/_sandbox/health").json()["status"] == "ok"
            counts.append(http.get("/platform/invoice", headers=demo).json()["totalRecords"])
    assert counts == [0, 4]


def test_fixtures_seed_a_new_database_only(db_location: Callable[..., str]) -> None:
    """A restart on an existing database keeps its state instead of reloading the fixtures."""
    db = db_location("kept.db")
    demo = {"Authorization": "Basic " + base64.b64encode(b":maast-demo-key").decode()}
    with TestClient(create_app(Settings(db=db, fixtures=BUNDLED_FIXTURES))) as http:
        listing = http.get("/platform/invoice", headers=demo,
                           params={"filter": "status,EQ,CANCELED"}).json()
        kept = listing["data"][0]["invoice_id"]
        assert http.post(f"/platform/invoice/{kept}/copy", headers=demo).status_code == 200
    with TestClient(create_app(Settings(db=db, fixtures=BUNDLED_FIXTURES))) as http:
        assert http.get("/platform/invoice", headers=demo).json()["totalRecords"] == 5
