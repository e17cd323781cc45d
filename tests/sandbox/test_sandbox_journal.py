"""The request journal: `GET/DELETE /_sandbox/requests`."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import basic

KEY = "journal-key-1"
AUTH = basic("", KEY)
CREATE = {"customer_id": "C1", "invoice_number": "N1", "save_customer": True,
          "billing_contact": {"first_name": "A", "last_name": "B", "email_address": "a@b.c"},
          "line_items": [{"quantity": 1, "unit_cost": 10}]}


def journal(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/_sandbox/requests", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_records_a_provider_call_with_sandbox_time_and_redacted_credentials(
        client: TestClient) -> None:
    client.post("/_sandbox/clock", json={"set": "2030-01-02T03:04:05Z", "freeze": True})
    created = client.post("/platform/invoice", json=CREATE, headers=AUTH)
    assert created.status_code == 200

    found = journal(client)
    assert found["total"] == 1 and found["capacity"] == 1000
    entry = found["requests"][0]
    assert entry["provider"] == "maast"
    assert (entry["method"], entry["path"], entry["status"]) == ("POST", "/platform/invoice", 200)
    assert entry["time"] == "2030-01-02T03:04:05.000Z"
    assert isinstance(entry["duration_ms"], (int, float)) and entry["duration_ms"] >= 0
    assert entry["fault"] is None
    assert entry["request"]["headers"]["authorization"] == "Basic [redacted]"
    assert json.loads(entry["request"]["body"]) == CREATE
    assert entry["request"]["body_bytes"] == len(created.request.content)
    assert json.loads(entry["response"]["body"]) == created.json()
    assert entry["response"]["headers"]["content-type"] == "application/json"
    # Neither the key nor its Basic encoding appear anywhere in the journal.
    raw = client.get("/_sandbox/requests").text
    assert KEY not in raw and AUTH["Authorization"].split()[1] not in raw


def test_redacts_credentials_in_headers_query_and_bodies(client: TestClient) -> None:
    client.get("/invoices", params={"access_token": "oauth-secret-1", "page": "2"})
    client.get("/tms/api/v1/billing/invoices",
               headers={"x-coreos-access": "access-secret-2", "x-coreos-tid": "acme"})
    client.post("/core/api/v1/aaa/auth/client-credentials",
                json={"clientId": "client-a", "clientSecret": "client-secret-3"},
                headers={"x-coreos-request-id": "5f0c8f7e-3d5a-4ad4-9d55-2c2f2c2ad111"})
    document = {"merchantID": "M-77", "authenticationToken": "payone-secret-4",
                "invoicesDetails": []}
    client.post("/URL2PayAdminWeb/rest/InvoicesService/createInvoice",
                data={"invoices": json.dumps(document)})

    raw = client.get("/_sandbox/requests").text
    for secret in ("oauth-secret-1", "access-secret-2", "client-secret-3", "payone-secret-4"):
        assert secret not in raw
    entries = {e["path"]: e for e in journal(client)["requests"]}
    assert entries["/invoices"]["query"] == "access_token=[redacted]&page=2"
    assert entries["/tms/api/v1/billing/invoices"]["request"]["headers"] == {
        **entries["/tms/api/v1/billing/invoices"]["request"]["headers"],
        "x-coreos-access": "[redacted]", "x-coreos-tid": "acme"}
    token_body = json.loads(entries["/core/api/v1/aaa/auth/client-credentials"]["request"]["body"])
    assert token_body == {"clientId": "client-a", "clientSecret": "[redacted]"}
    form = entries["/URL2PayAdminWeb/rest/InvoicesService/createInvoice"]["request"]["body"]
    assert "M-77" in form and "%5Bredacted%5D" in form  # the rest of the form stays readable


def test_records_bodies_the_route_never_read(client: TestClient) -> None:
    response = client.post("/platform/invoice", json=CREATE)  # no credentials: 401 before reading
    assert response.status_code == 401
    entry = journal(client)["requests"][0]
    assert entry["status"] == 401
    assert json.loads(entry["request"]["body"]) == CREATE
    assert "authorization" not in entry["request"]["headers"]


def test_truncates_large_bodies(client: TestClient) -> None:
    payload = b'{"customer_id": "' + b"x" * 20000 + b'"}'
    client.post("/platform/invoice", content=payload,
                headers={**AUTH, "content-type": "application/json"})
    entry = journal(client)["requests"][0]
    assert entry["request"]["truncated"] is True
    assert entry["request"]["body_bytes"] == len(payload)
    assert len(entry["request"]["body"]) == 4096
    assert entry["response"]["truncated"] is False


def test_control_plane_and_checkout_are_not_recorded(client: TestClient) -> None:
    client.get("/_sandbox/health")
    client.get("/_sandbox/clock")
    client.get("/checkout/no-such-token")
    client.get("/somewhere/else")  # a client with a wrong base path is visible
    found = journal(client)
    assert [(e["provider"], e["path"], e["status"]) for e in found["requests"]] == [
        (None, "/somewhere/else", 404)]


def test_filters_and_limit(client: TestClient) -> None:
    client.post("/platform/invoice", json=CREATE, headers=AUTH)          # 1: POST 200
    client.get("/platform/invoice", headers=AUTH)                        # 2: GET 200
    client.get("/platform/invoice/999/detail", headers=AUTH)             # 3: GET 400
    client.get("/platform/invoice")                                      # 4: GET 401
    client.get("/elsewhere")                                             # 5: no provider, 404

    def ids(**params: Any) -> list[int]:
        return [e["id"] for e in journal(client, **params)["requests"]]

    assert ids() == [5, 4, 3, 2, 1]  # newest first
    assert ids(provider="maast") == [4, 3, 2, 1]
    assert ids(method="post") == [1]
    assert ids(path="/detail") == [3]
    assert ids(path="/platform/invoice") == [4, 3, 2, 1]
    assert ids(status="401") == [4]
    assert ids(status="4xx") == [5, 4, 3]
    assert ids(provider="maast", method="GET", status="2xx") == [2]
    assert ids(since="3") == [5, 4]
    limited = journal(client, limit="2")
    assert [e["id"] for e in limited["requests"]] == [5, 4] and limited["total"] == 5


def test_invalid_filters_are_refused_in_the_control_plane_shape(client: TestClient) -> None:
    client.get("/platform/invoice", headers=AUTH)
    for params in ({"provider": "nope"}, {"status": "abc"}, {"status": "6xx"},
                   {"status": "20"}, {"limit": "0"}, {"limit": "-1"}, {"limit": "x"},
                   {"since": "last"}):
        response = client.get("/_sandbox/requests", params=params)
        assert response.status_code == 400, params
        assert set(response.json()["error"]) == {"code", "message"}
    assert journal(client)["total"] == 1  # nothing was recorded or removed by the refusals


def test_delete_empties_the_journal_and_ids_keep_counting(client: TestClient) -> None:
    client.get("/platform/invoice", headers=AUTH)
    client.get("/platform/invoice", headers=AUTH)
    deleted = client.delete("/_sandbox/requests")
    assert deleted.status_code == 200 and deleted.json() == {"deleted": 2}
    assert journal(client)["requests"] == []
    client.get("/platform/invoice", headers=AUTH)
    assert [e["id"] for e in journal(client)["requests"]] == [3]


def test_the_journal_is_bounded(client: TestClient) -> None:
    client.app.state.journal.resize(3)  # type: ignore[attr-defined]
    for number in range(5):
        client.get(f"/platform/invoice/{number}/detail", headers=AUTH)
    found = journal(client, limit="100")
    assert found["capacity"] == 3
    assert [e["path"] for e in found["requests"]] == [
        "/platform/invoice/4/detail", "/platform/invoice/3/detail", "/platform/invoice/2/detail"]


def test_a_full_reset_clears_the_journal_a_narrowed_one_does_not(client: TestClient) -> None:
    client.get("/platform/invoice", headers=AUTH)
    assert client.post("/_sandbox/reset", params={"provider": "maast"}).status_code == 200
    assert journal(client)["total"] == 1
    assert client.post("/_sandbox/reset").status_code == 200
    assert journal(client)["total"] == 0
