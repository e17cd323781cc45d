"""Helpers shared by the TransportOne tests: tokens, sandbox-made invoices, a database dump to
prove a refused request wrote nothing, and a local HTTP receiver for callbacks."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

TOKEN = "/core/api/v1/aaa/auth/client-credentials"
BILLING = "/tms/api/v1/billing"
SANDBOX = "/_sandbox/transportone"


def login(client: TestClient, tenant: str = "acme", client_id: str = "acme-erp",
          secret: str = "s3cret") -> dict[str, str]:
    """Headers of an authenticated request for `tenant`."""
    response = client.post(TOKEN, json={"clientId": client_id, "clientSecret": secret,
                                        "audience": "platform:app:coreos"},
                           headers={"x-coreos-tid": tenant,
                                    "x-coreos-request-id": str(uuid.uuid4())})
    assert response.status_code == 200, response.text
    return {"x-coreos-access": response.json()["data"]["accessToken"], "x-coreos-tid": tenant}


def charge(code: str, amount: Any, head: str = "Freight Charges", **extra: Any) -> dict[str, Any]:
    return {"uniqueCode": code, "chargeHead": head, "chargeType": "EXPENSE", "amount": amount,
            **extra}


def make_invoice(client: TestClient, code: str, *, tenant: str = "acme", state: str = "DRAFT",
                 charges: list[dict[str, Any]] | None = None, number: str | None = None,
                 **extra: Any) -> dict[str, Any]:
    body = {"uniqueCode": code, "invoiceNumber": number or f"NUM-{code}",
            "transporterId": "TRN-1", "transporterName": "Road Runner Logistics", "state": state,
            "charges": [charge(f"{code}-C1", 1000), charge(f"{code}-C2", 500.25)]
            if charges is None else charges, **extra}
    response = client.post(f"{SANDBOX}/{tenant}/invoices", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def detail(client: TestClient, headers: dict[str, str], code: str) -> dict[str, Any]:
    response = client.get(f"{BILLING}/transporter/invoice/{code}/", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


def envelope_error(response: Any, status: int, code: str) -> str:
    """Assert the TransportOne error envelope; returns its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message", "status", "errorCode"}, body
    assert body["status"] == "error" and body["errorCode"] == code, body
    return str(body["message"])


_TABLES = ("tenants", "invoices", "invoice_items", "payments", "invoice_events",
           "idempotency_records", "deliveries", "access_tokens")


def dump(client: TestClient) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to compare before and after a refused request."""
    engine = client.app.state.sandbox.db.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return {table: [tuple(row) for row in
                        conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
                for table in _TABLES}


class Receiver:
    """A local HTTP server recording the POSTs it gets; answers `statuses` in turn, then 200."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses = list(statuses or [])
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                status = owner.statuses.pop(0) if owner.statuses else 200
                owner.requests.append({"path": self.path, "status": status,
                                       "headers": {k.lower(): v for k, v in self.headers.items()},
                                       "body": json.loads(body) if body else None})
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait(self, count: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.requests) >= count, f"got {len(self.requests)} of {count} requests"
        return self.requests

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
