"""`SandboxServer`: the sandbox served in the background of the current process (a uvicorn
thread), or in a child process when `isolated=True`, on a free port of 127.0.0.1.

    with SandboxServer() as server:          # :memory: database, bundled fixtures
        client = server.client()
        ...

Stopping it frees the port and the database.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import orjson

from ..settings import BUNDLED_FIXTURES, Settings

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

    from .client import SandboxClient

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
# Settings that have a `serve` flag, for a child process.
_FLAGS = {"public_url": "--public-url", "harvest_throttle": "--harvest-throttle",
          "payone_error_status": "--payone-error-status", "log_level": "--log-level"}


class SandboxStartError(RuntimeError):
    """The sandbox did not come up (its reason is the message)."""


class SandboxServer:
    """A sandbox on its own port, started by `start()` or `with`, stopped by `stop()`.

    `fixtures` is a directory, None for an empty sandbox, or the bundled demo fixtures by
    default; `snapshot` (a document or a file) is restored before the first request; other
    keyword arguments are `Settings` fields (`public_url`, `harvest_throttle`, ...).
    """

    def __init__(self, port: int = 0, db: str = ":memory:",
                 fixtures: str | Path | None = BUNDLED_FIXTURES,
                 auth: Literal["open", "strict"] = "open", *, host: str = "127.0.0.1",
                 isolated: bool = False, snapshot: dict[str, Any] | str | Path | None = None,
                 **settings: Any) -> None:
        unknown = set(settings) - set(Settings.__dataclass_fields__) - {"host", "port"}
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        if isolated and set(settings) - set(_FLAGS):
            raise TypeError(f"a child process takes only {sorted(_FLAGS)} as settings")
        self.host, self.requested_port, self.db, self.auth = host, port, db, auth
        self.fixtures = Path(fixtures) if fixtures is not None else None
        self.isolated = isolated
        self.snapshot = snapshot
        self.settings = settings
        self.port = 0
        self._app: FastAPI | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._snapshot_file: Path | None = None

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("the sandbox is not running")
        return f"http://{self.host}:{self.port}"

    def client(self, token: str | None = None) -> SandboxClient:
        from .client import SandboxClient

        return SandboxClient(self.url, token=token)

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    # --- start -----------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        if self.port:
            raise RuntimeError("the sandbox is already running")
        try:
            if self.isolated:
                self._start_process()
            else:
                self._start_thread()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_thread(self) -> None:
        import uvicorn

        from ..core import snapshot
        from ..main import create_app

        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.requested_port))
        except OSError as exc:
            sock.close()
            raise SandboxStartError(f"cannot listen on {self.host}:{self.requested_port}: "
                                    f"{exc}") from None
        self._socket = sock
        port = int(sock.getsockname()[1])
        settings = Settings(host=self.host, port=port, db=self.db, fixtures=self.fixtures,
                            auth=self.auth, **self.settings)
        application = self._app = create_app(settings)
        if self.snapshot is not None:
            snapshot.restore(application.state.sandbox, self._snapshot_document())
        config = uvicorn.Config(application, log_level=settings.log_level, access_log=False,
                                lifespan="on")
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                        name=f"invoice-sandbox:{port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise SandboxStartError("the sandbox thread did not start (see the log above)")
            time.sleep(0.002)
        self.port = port

    def _snapshot_document(self) -> Any:
        if isinstance(self.snapshot, dict):
            return self.snapshot
        assert self.snapshot is not None
        return orjson.loads(Path(self.snapshot).read_bytes())

    def _start_process(self) -> None:
        import httpx

        port = self.requested_port or _free_port(self.host)
        args = [sys.executable, "-m", "invoice_sandbox", "serve", "--host", self.host,
                "--port", str(port), "--db", self.db, "--auth", self.auth,
                "--fixtures", str(self.fixtures) if self.fixtures is not None else "none"]
        for name, value in self.settings.items():
            args += [_FLAGS[name], str(value).lower() if isinstance(value, bool) else str(value)]
        if self.snapshot is not None:
            if isinstance(self.snapshot, dict):
                handle, name = tempfile.mkstemp(prefix="invoice-sandbox-", suffix=".json")
                os.write(handle, orjson.dumps(self.snapshot))
                os.close(handle)
                self._snapshot_file = Path(name)
            args += ["--snapshot", str(self._snapshot_file or self.snapshot)]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE)
        url = f"http://{self.host}:{port}/_sandbox/health"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                reason = self._process.stderr.read().decode() if self._process.stderr else ""
                raise SandboxStartError(reason.strip() or "the sandbox process exited")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SandboxStartError("the sandbox process did not become healthy")
            time.sleep(0.02)
        self.port = port

    # --- stop ------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop serving, free the port and drop the database (a no-op when stopped)."""
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(STOP_TIMEOUT)
        if self._app is not None:
            self._app.state.sandbox.db.dispose()
        if self._socket is not None:
            self._socket.close()
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process is not None and self._process.stderr is not None:
            self._process.stderr.close()
        if self._snapshot_file is not None:
            self._snapshot_file.unlink(missing_ok=True)
        self._app = self._server = self._thread = self._socket = self._process = None
        self._snapshot_file = None
        self.port = 0


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
