"""A real Harvest v1 client from PyPI (`python-harvest-redux`, imported as `harvest`) against a
served sandbox: only its base URL changes, as for a team moving off ACCOUNT.harvestapp.com."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from clients_support import BASE64_TOKEN, DEMO_EMAIL, DEMO_PASSWORD, DEMO_TOKEN, INVALID_TOKEN

# `harvest.harvest`, not `harvest`: the test directory tests/harvest is importable as `harvest`.
library = pytest.importorskip("harvest.harvest")


def _by_number(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["invoices"]["number"]: row["invoices"] for row in rows}


def test_python_harvest_redux_basic_auth(served: Callable[..., Any]) -> None:
    server = served()  # the bundled fixtures
    client = library.Harvest(server.url, email=DEMO_EMAIL, password=DEMO_PASSWORD)

    me = client.who_am_i
    assert me["user"]["email"] == DEMO_EMAIL
    assert me["company"]["modules"]["invoices"] is True

    everything = _by_number(client.invoices())
    assert sorted(everything) == ["1001", "1002", "1003", "1004", "1005", "1006"]
    assert list(_by_number(client.invoices(status="partial"))) == ["1004"]
    assert list(_by_number(client.invoices(status="pastdue"))) == ["1003"]
    assert sorted(_by_number(client.invoices(client=46067, status="unpaid"))) == ["1003", "1004"]
    assert client.invoices(page=2) == []

    partial = everything["1004"]
    shown = client.get_invoice(partial["id"])["invoice"]
    assert shown["csv_line_items"].startswith("kind,description,quantity,unit_price")
    assert (shown["amount"], shown["due_amount"]) == (1086.03, 586.03)

    updated = client.update_invoice(partial["id"], invoice={"subject": "Renamed by a client"})
    assert updated.status_code == 200  # empty body: the library hands back the response
    assert client.get_invoice(partial["id"])["invoice"]["subject"] == "Renamed by a client"

    # The library has no payment helpers; its own request machinery reaches the endpoint.
    paid = client._post(f"/invoices/{partial['id']}/payments",
                        {"payment": {"amount": "586.03", "paid_at": "2026-03-01T12:00:00Z",
                                     "notes": "via python-harvest-redux"}})
    assert paid.status_code == 201
    payment = client._get(paid.headers["Location"])["payment"]
    assert (payment["amount"], payment["notes"]) == (586.03, "via python-harvest-redux")
    assert client.get_invoice(partial["id"])["invoice"]["state"] == "paid"

    # messages and state actions, through the library's own requests (it has no helpers)
    earlier = client._get(f"/invoices/{partial['id']}/messages")
    sent = client._post(f"/invoices/{partial['id']}/messages/",
                        {"invoice_message": {"recipients": "ap@globex.example",
                                             "body": "Receipt attached"}})
    assert sent.status_code == 201
    *before, message = client._get(f"/invoices/{partial['id']}/messages")
    assert before == earlier
    assert message["message"]["body"] == "Receipt attached"  # the JSON root is `message`
    assert client._get(sent.headers["Location"]) == message
    draft = everything["1001"]
    assert client._post(f"/invoices/{draft['id']}/messages/mark_as_sent").status_code == 200
    assert client.get_invoice(draft["id"])["invoice"]["state"] == "open"
    assert client._post(f"/invoices/{draft['id']}/messages/mark_as_closed").status_code == 200
    assert client.get_invoice(draft["id"])["invoice"]["state"] == "closed"
    assert client._post(f"/invoices/{draft['id']}/messages/re_open").status_code == 200
    assert client._post(f"/invoices/{draft['id']}/messages/mark_as_draft").status_code == 200
    assert client.get_invoice(draft["id"])["invoice"]["state"] == "draft"
    refused = client._post(f"/invoices/{draft['id']}/messages/mark_as_closed")
    assert refused == {"errors": ["Only open or partially paid invoices can be closed."]}
    assert client._delete(
        f"/invoices/{partial['id']}/messages/{message['message']['id']}").status_code == 200

    assert client.delete_invoice(partial["id"]).status_code == 200
    assert client.get_invoice(partial["id"]).status_code == 404


def test_python_harvest_redux_oauth(served: Callable[..., Any],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox speaks plain HTTP
    server = served()
    client = library.Harvest(server.url, client_id="sandbox-app",
                             token={"access_token": DEMO_TOKEN, "token_type": "Bearer"})
    assert client.who_am_i["user"]["email"] == DEMO_EMAIL
    assert len(client.invoices()) == 6
    shaped = library.Harvest(server.url, client_id="sandbox-app",
                             token={"access_token": BASE64_TOKEN, "token_type": "Bearer"})
    assert shaped.who_am_i["user"]["email"] == DEMO_EMAIL
    for token in ("demo-expired-token-0001", "never-issued-token-0001"):
        refused = library.Harvest(server.url, client_id="sandbox-app",
                                  token={"access_token": token, "token_type": "Bearer"})
        assert refused.who_am_i == INVALID_TOKEN
