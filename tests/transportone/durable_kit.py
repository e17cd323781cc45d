"""Helpers for the durable-work tests: HTTP receivers that can hold a request or sit on a fixed
port, an endpoint that never answers, the delivery listing, and waiting for a condition."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from transportone_kit import BILLING

UPLOAD = f"{BILLING}/shipper/bulk/upload/payment"


class Inbox:
    """A local HTTP receiver recording every POST as it arrives. It answers `statuses` in turn
    (then 200), after `hold` is set when one is given; `port` fixes where it listens."""

    def __init__(self, port: int = 0, statuses: list[int] | None = None,
                 hold: threading.Event | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with owner._lock:
                    status = owner.statuses.pop(0) if owner.statuses else 200
                    owner.requests.append({
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": json.loads(body) if body else None})
                if hold is not None:
                    hold.wait(30)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait(self, count: int = 1, timeout: float = 60.0) -> list[dict[str, Any]]:
        wait_until(lambda: len(self.requests) >= count, timeout,
                   lambda: f"got {len(self.requests)} of {count} requests")
        return self.requests

    def __enter__(self) -> Inbox:
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def silent_endpoint() -> Iterator[str]:
    """A URL whose server accepts connections and never answers (a hung ERP)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def wait_until(check: Callable[[], bool], timeout: float = 60.0,
               why: Callable[[], str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(why() if why else "condition not reached")
        time.sleep(0.05)


def deliveries(http: Any, **params: Any) -> list[dict[str, Any]]:
    response = http.get("/_sandbox/deliveries", params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["deliveries"])


def states(http: Any) -> list[str]:
    return [d["state"] for d in deliveries(http)]


def upload(http: Any, headers: dict[str, str], payments: list[dict[str, Any]],
           callback: str | None = None, request_id: str | None = None) -> Any:
    body: dict[str, Any] = {"data": {"payments": payments}}
    if callback is not None:
        body["callback"] = {"url": callback}
    extra = {"x-coreos-request-id": request_id} if request_id else {}
    response = http.post(UPLOAD, headers={**headers, **extra}, json=body)
    assert response.status_code == 202, response.text
    return response
