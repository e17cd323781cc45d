"""`harvest-api-client` from PyPI against a served sandbox. It reads XML with an OAuth token put
in the query string unencoded (as Harvest's base64 tokens, `+` and all, were sent) and offers no
writes: the invoices, payments, messages and state actions are made over plain HTTP, and the
library reads the results through its own request and XML-typing code."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from clients_support import BASE64_TOKEN, DEMO_EMAIL, DEMO_PASSWORD

library = pytest.importorskip("harvest_api_client")
pytest.importorskip("dateutil")  # the library imports it without declaring it


def open_client(server_url: str, tokens_file: Path, token: str) -> Any:
    now = datetime.now().isoformat()
    tokens_file.write_text(json.dumps({
        "access_token": {"value": token, "last_refresh_time": now},
        "refresh_token": {"value": "unused", "last_refresh_time": now},
    }), encoding="utf-8")
    client = library.Harvest("sandbox-app", "sandbox-secret", str(tokens_file))
    client.uri = server_url  # the only change from the real API
    return client


def test_harvest_api_client_reads_what_was_done(served: Callable[..., Any],
                                                tmp_path: Path) -> None:
    server = served()  # the bundled fixtures: the demo account and its base64-shaped token
    client = open_client(server.url, tmp_path / "tokens.json", BASE64_TOKEN)
    listed = {invoice.number: invoice for invoice in client.invoices()}
    assert sorted(listed) == ["1001", "1002", "1003", "1004", "1005", "1006"]
    partial = listed["1004"]
    assert (partial.amount, partial.due_amount, partial.state) == (1086.03, 586.03, "partial")
    assert partial.tax2_amount == 0.0 and isinstance(partial.issued_at, datetime)

    draft = listed["1001"]
    with httpx.Client(base_url=server.url, auth=(DEMO_EMAIL, DEMO_PASSWORD),
                      headers={"Content-Type": "application/xml"}) as http:
        paid = http.post(f"/invoices/{draft.id}/payments",
                         content=b"<payment><amount>100.00</amount>"
                                 b"<paid-at>2026-03-02T12:00:00Z</paid-at></payment>")
        assert paid.status_code == 201
        sent = http.post(f"/invoices/{draft.id}/messages",
                         content=b"<invoice-message><recipients>ap@acme.example</recipients>"
                                 b"<body>Hello</body></invoice-message>")
        assert sent.status_code == 201
        assert http.post(f"/invoices/{partial.id}/messages/mark_as_closed").status_code == 200

    # a new library object: its getters cache what they read
    client = open_client(server.url, tmp_path / "tokens.json", BASE64_TOKEN)
    again = {invoice.number: invoice for invoice in client.invoices()}
    assert (again["1001"].state, again["1001"].due_amount) == ("partial", 3574.0)
    assert again["1004"].state == "closed"
    payments = list(client._get_element_values(f"/invoices/{draft.id}/payments", "payment"))
    assert [(p["amount"], p["recorded-by-email"]) for p in payments] == [(100.0, DEMO_EMAIL)]
    # the documented list root is `<invoice-message type="array">` too: the library reads it
    # as one more (empty) record, so only records with an id are messages
    messages = [m for m in client._get_element_values(f"/invoices/{draft.id}/messages",
                                                      "invoice-message") if "id" in m]
    assert [(m["body"], m["full-recipient-list"]) for m in messages] == [
        ("Hello", "ap@acme.example")]


def test_harvest_api_client_with_a_token_never_issued(served: Callable[..., Any],
                                                      tmp_path: Path) -> None:
    server = served("--fixtures", "none")
    client = open_client(server.url, tmp_path / "tokens.json", "never+issued/token=")
    with pytest.raises(library.harvest.HarvestConnectionError, match="401"):
        list(client.invoices())
