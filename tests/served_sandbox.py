"""`invoice-sandbox serve` in a child process, for tests that need a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServedSandbox:
    """`invoice-sandbox serve` in a child process, for tests that need a real server."""

    def __init__(self, db: str, *extra: str) -> None:
        self.db = db
        self.extra = extra
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        # A file, not a pipe: a server that writes much to stderr would block on a full pipe.
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115  (lives as long as the server)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "invoice_sandbox", "serve", "--port", str(self.port), "--db",
             self.db, *self.extra],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.errors,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.errors.seek(0)
                raise RuntimeError(self.errors.read().decode() or "server exited")
            try:
                if httpx.get(f"{self.url}/_sandbox/health", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        # Not left running: it would go on working on a database handed to another test.
        self.kill()
        raise RuntimeError("server did not become healthy")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
