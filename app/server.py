"""Runs the application under uvicorn on an already bound socket, with slow clients bounded.

uvicorn closes idle keep-alive connections but waits forever for a request that never arrives
whole (a half-sent head or body holds a connection and a file descriptor). `TimedProtocol`
closes a connection whose current request has not fully arrived `request_timeout` seconds after
its first byte (or after the connection opened, when nothing was sent).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .settings import Settings

# uvicorn waits this long for requests in flight when asked to stop (SIGTERM), then cancels
# them: `docker stop` must finish well inside its own grace period.
GRACEFUL_SHUTDOWN_S = 1


class TimedProtocol(HttpToolsProtocol):
    request_timeout = 10.0  # set per server by `protocol_for`

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_timeout, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()


def protocol_for(settings: Settings) -> type[TimedProtocol]:
    return type("TimedProtocol", (TimedProtocol,), {"request_timeout": settings.request_timeout})


def config_for(application: Any, settings: Settings) -> uvicorn.Config:
    return uvicorn.Config(
        application, host=settings.host, port=settings.port, log_level=settings.log_level,
        access_log=False, http=protocol_for(settings),
        timeout_keep_alive=int(max(1, settings.keep_alive_timeout)),
        limit_concurrency=settings.limit_concurrency,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        # The sandbox serves no WebSocket route: without a WebSocket protocol uvicorn need not
        # import a WebSocket library at start.
        ws="none",
    )


class _Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            # uvicorn raises a captured SIGTERM/SIGINT again once it has shut down, so the
            # process dies of it (status 143). Shut down gracefully, the command exits 0.
            self._captured_signals.clear()


def run(application: Any, settings: Settings, sock: socket.socket) -> None:
    _Server(config_for(application, settings)).run(sockets=[sock])


def run_workers(factory: str, settings: Settings, sock: socket.socket, workers: int) -> None:
    """`workers` processes serving `sock`, each building its app with `factory`
    ("module:function"). Each worker sets its own request timeout (see `main.worker_app`):
    the protocol class travels to a spawned worker by name, so it cannot be a per-server
    subclass."""
    from uvicorn.supervisors import Multiprocess

    config = config_for(factory, settings)
    config.http, config.factory, config.workers = TimedProtocol, True, workers
    Multiprocess(config, sockets=[sock]).run()
