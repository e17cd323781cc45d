"""`SandboxServer` and `SandboxClient` outside pytest's fixtures: start, serve, stop, settings."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import invoice_sandbox
import pytest
from invoice_sandbox import SandboxClient, SandboxError, SandboxServer
from invoice_sandbox.testing.server import SandboxStartError


def test_a_server_serves_until_stopped_and_frees_its_port() -> None:
    with SandboxServer() as server:
        port = server.port
        assert server.url == f"http://127.0.0.1:{port}"
        health = httpx.get(server.url + "/_sandbox/health").json()
        assert health["status"] == "ok" and health["auth"] == "open"
        with server.client() as client:  # the bundled fixtures are loaded
            assert {"maast", "payone", "harvest", "transportone"} <= {
                row[1] for row in client.snapshot()["tables"]["tenants"]["rows"]}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/_sandbox/health")
    with pytest.raises(RuntimeError):
        _ = server.url
    # The port is free again, and the database went with the server.
    with SandboxServer(port=port, fixtures=None) as again:
        assert again.port == port
        assert again.client().snapshot()["tables"]["tenants"]["rows"] == []


def test_two_servers_are_two_sandboxes() -> None:
    with SandboxServer(fixtures=None) as one, SandboxServer(fixtures=None) as two:
        one.client().payone.configure("only-in-one", refund_approval=True)
        assert one.client().payone.merchant("only-in-one")["refund_approval"] is True
        with pytest.raises(SandboxError) as missing:
            two.client().payone.merchant("only-in-one")
        assert missing.value.status == 404


def test_settings_reach_the_sandbox(tmp_path: Path) -> None:
    db = tmp_path / "kept.sqlite"
    with SandboxServer(db=str(db), auth="strict", public_url="https://sandbox.example") as s:
        assert s.client().health()["auth"] == "strict"
    assert db.exists()
    with pytest.raises(TypeError):
        SandboxServer(colour="red")


def test_a_server_can_start_from_a_snapshot() -> None:
    with SandboxServer() as source:
        client = source.client()
        client.clock.freeze()
        snapshot = client.snapshot()
    with SandboxServer(fixtures=None, snapshot=snapshot) as copy:
        assert copy.client().snapshot()["tables"] == snapshot["tables"]
        assert copy.client().clock.state().frozen is True


def test_an_isolated_server_is_a_child_process(tmp_path: Path) -> None:
    snapshot_file = tmp_path / "state.json"
    with SandboxServer() as source:
        source.client().payone.configure("from-the-file", refund_approval=True)
        snapshot_file.write_text(json.dumps(source.client().snapshot()))
    with SandboxServer(isolated=True, snapshot=snapshot_file,
                       payone_error_status=400) as child:
        assert child.client().payone.merchant("from-the-file")["refund_approval"] is True
        port = child.port
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/_sandbox/health")


def test_a_port_in_use_is_one_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(SandboxStartError, match="cannot listen on 127.0.0.1"):
            SandboxServer(port=taken.getsockname()[1]).start()


def test_a_refused_call_raises_one_error_with_status_and_body() -> None:
    with SandboxServer(fixtures=None) as server, SandboxClient(server.url) as client:
        with pytest.raises(SandboxError) as refused:
            client.clock.advance(-5)
        error = refused.value
        assert (error.status, error.code) == (400, "invalid_clock")
        assert error.body == {"error": {"code": "invalid_clock", "message": error.message}}
        assert "only moves forward" in str(error)


def test_importing_the_package_loads_no_server() -> None:
    code = ("import sys, invoice_sandbox; "
            "print([m for m in sys.modules if m.startswith(('invoice_sandbox.testing', "
            "'invoice_sandbox.main', 'uvicorn', 'fastapi', 'httpx'))])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
    assert invoice_sandbox.SandboxServer is SandboxServer
    with pytest.raises(AttributeError):
        _ = invoice_sandbox.Nothing  # type: ignore[attr-defined]


def test_snapshot_export_and_import_on_the_command_line(tmp_path: Path) -> None:
    snapshot_file = tmp_path / "snap.json"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "invoice_sandbox", *args],
                              capture_output=True, text=True)

    with SandboxServer() as server:
        client = server.client()
        client.clock.freeze()
        exported = cli("snapshot", "export", "--url", server.url, str(snapshot_file))
        assert exported.returncode == 0, exported.stderr
        client.reset()
        imported = cli("snapshot", "import", "--url", server.url, str(snapshot_file))
        assert imported.returncode == 0, imported.stderr
        assert client.clock.state().frozen is True
        assert client.snapshot()["tables"] == json.loads(snapshot_file.read_text())["tables"]

        snapshot_file.write_text(json.dumps({"format": "invoice-sandbox-snapshot",
                                             "version": 0, "tables": {}}))
        refused = cli("snapshot", "import", "--url", server.url, str(snapshot_file))
        assert refused.returncode == 1
        assert refused.stderr.startswith("invoice-sandbox: snapshot format version 0 is older")
    unreachable = cli("snapshot", "export", "--url", server_url_gone(), str(snapshot_file))
    assert unreachable.returncode == 1 and unreachable.stderr.count("\n") == 1


def server_url_gone() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_serve_refuses_an_unusable_snapshot_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "invoice-sandbox-snapshot", "version": 9, "tables": {}}')
    done = subprocess.run([sys.executable, "-m", "invoice_sandbox", "serve", "--db", ":memory:",
                           "--port", "1", "--snapshot", str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "is newer than this sandbox reads" in done.stderr
