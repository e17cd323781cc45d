"""`invoice-sandbox` as a person runs it: version, help, the start-up banner, refusals that come
before anything is written, the health subcommand, and slow clients against a served process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from invoice_sandbox import __version__
from served_sandbox import ROOT, ServedSandbox, free_port


def command(*args: str, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INVOICE_SANDBOX_")}
    return subprocess.run([sys.executable, "-m", "invoice_sandbox", *args], cwd=ROOT,
                          env={**clean, "PYTHONPATH": str(ROOT), **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def test_version_and_help_list_every_subcommand() -> None:
    version = command("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"invoice-sandbox {__version__}"
    top = command("--help")
    assert top.returncode == 0
    for name in ("serve", "health"):
        assert f"    {name}" in top.stdout
    serve = command("serve", "--help").stdout
    for flag in ("--control-token", "--allowed-hosts", "--request-timeout",
                 "--keep-alive-timeout", "--limit-concurrency", "INVOICE_SANDBOX_CONTROL_TOKEN"):
        assert flag in serve


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_refusals_come_before_anything_is_written(tmp_path: Path, busy_port: int) -> None:
    db = tmp_path / "never.db"
    port = str(free_port())
    cases: list[tuple[list[str], dict[str, str], str]] = [
        (["--port", str(busy_port)], {}, "already in use"),
        (["--host", "no-such-host.invalid", "--port", port], {}, "does not resolve"),
        (["--host", "192.0.2.1", "--port", port], {}, "not an address of this machine"),
        (["--port", port, "--db", "mysql+mysqldb://u:secret@127.0.0.1:1/x"], {},
         "not installed"),
        (["--port", port, "--db", "nosuchdialect://x"], {}, "--db"),
        (["--port", port], {"INVOICE_SANDBOX_REQUEST_TIMEOUT": "soon"}, "--request-timeout"),
        (["--port", port], {"INVOICE_SANDBOX_KEEP_ALIVE_TIMEOUT": "0"}, "--keep-alive-timeout"),
        (["--port", port], {"INVOICE_SANDBOX_LIMIT_CONCURRENCY": "2.5"}, "--limit-concurrency"),
        (["--port", port], {"INVOICE_SANDBOX_ALLOWED_HOSTS": "a/b"}, "--allowed-hosts"),
        (["--port", port], {"INVOICE_SANDBOX_CONTROL_TOKEN": "two words"}, "--control-token"),
        (["--port", "８０８０"], {}, "--port"),
    ]
    for args, env, reason in cases:
        done = command("serve", "--db", str(db), *args, env=env)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2, (args, env, done.stderr)
        assert len(lines) == 1 and reason in lines[0], (args, env, done.stderr)
        assert "secret" not in done.stderr
        assert not db.exists(), (args, env)
        assert not list(tmp_path.iterdir()), (args, env)


def test_the_banner_says_where_and_what(tmp_path: Path) -> None:
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INVOICE_SANDBOX_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "invoice_sandbox", "--port", str(port), "--db",
         str(tmp_path / "b.db"), "--control-token", "tok", "--auth", "strict"],
        cwd=ROOT, env={**clean, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(7)]
        text = "".join(lines)
        assert lines[0].strip() == f"invoice-sandbox {__version__}"
        assert f"http://127.0.0.1:{port}" in text
        assert str(tmp_path / "b.db") in text
        assert "fixtures" in text and "strict" in text and "token required" in text
        assert f"http://127.0.0.1:{port}/_sandbox/docs" in text
        assert f"http://127.0.0.1:{port}/_sandbox/ui" in text
        assert "tok\n" not in text  # the token itself is never printed
        up = command("health", "--url", f"http://127.0.0.1:{port}", "--control-token", "tok")
        assert up.returncode == 0, up.stderr
        refused = command("health", "--url", f"http://127.0.0.1:{port}")  # no token: 401
        assert refused.returncode == 1
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.returncode == 0  # SIGTERM is a graceful stop
    assert command("health", "--url", f"http://127.0.0.1:{port}").returncode == 1


def _half_sent(url: str, partial: bytes) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(partial)
    return sock


HALF_HEAD = b"GET /_sandbox/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
HALF_BODY = (b"POST /_sandbox/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"adv")


def _closed_by_server(sock: socket.socket) -> bool:
    """Blocks until the server closes the connection (or the generous cap passes)."""
    sock.settimeout(60)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    finally:
        sock.close()


def test_half_sent_requests_are_dropped(served: Callable[..., ServedSandbox]) -> None:
    server = served("--request-timeout", "1", "--fixtures", "none")
    slow = [_half_sent(server.url, HALF_HEAD) for _ in range(20)]
    slow += [_half_sent(server.url, HALF_BODY) for _ in range(20)]
    assert httpx.get(f"{server.url}/_sandbox/health", timeout=10).status_code == 200
    assert all(_closed_by_server(sock) for sock in slow)
    idle = socket.create_connection(("127.0.0.1", server.port))  # sends nothing at all
    assert _closed_by_server(idle)
    # A slow client changed nothing: the half-sent clock change never happened.
    assert httpx.get(f"{server.url}/_sandbox/clock", timeout=10).json()["frozen"] is False


def test_connections_are_bounded(served: Callable[..., ServedSandbox]) -> None:
    server = served("--limit-concurrency", "4", "--request-timeout", "2", "--fixtures", "none")
    slow = [_half_sent(server.url, HALF_HEAD) for _ in range(4)]
    try:
        busy = httpx.get(f"{server.url}/_sandbox/health", timeout=10)
        assert busy.status_code == 503
    finally:
        assert all(_closed_by_server(sock) for sock in slow)
    assert httpx.get(f"{server.url}/_sandbox/health", timeout=10).status_code == 200
