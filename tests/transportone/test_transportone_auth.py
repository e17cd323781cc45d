"""Client-credentials tokens, `x-coreos-access`, expiry by the sandbox clock, and tenants."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from invoice_sandbox.settings import BUNDLED_FIXTURES
from transportone_kit import BILLING, TOKEN, dump, envelope_error, login, make_invoice

LIST = f"{BILLING}/shipper/invoice/"


def test_token_is_issued_in_the_documented_shape(client: TestClient) -> None:
    response = client.post(TOKEN, headers={"x-coreos-tid": "acme",
                                           "x-coreos-request-id": "1f0e4c1a-2b7c-4d3e-9f00-1"},
                           json={"clientId": "erp", "clientSecret": "pw",
                                 "audience": "platform:app:coreos"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data"} and set(body["data"]) == {"accessToken", "expiresIn"}
    assert body["data"]["expiresIn"] == 86400
    token = body["data"]["accessToken"]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["tid"] == "acme" and claims["exp"] - claims["iat"] == 86400
    again = client.post(f"{TOKEN}/", headers={"x-coreos-tid": "acme"},
                        json={"clientId": "erp", "clientSecret": "pw"})
    assert again.status_code == 200 and again.json()["data"]["accessToken"] != token
    listing = client.get(LIST, headers={"x-coreos-access": token, "x-coreos-tid": "acme"})
    assert listing.status_code == 200
    assert listing.json() == {"data": {"invoices": [], "total": 0}, "message": "Success",
                              "status": "success"}


def test_missing_unknown_and_bearer_tokens_are_401(client: TestClient) -> None:
    headers = login(client)
    token = headers["x-coreos-access"]
    envelope_error(client.get(LIST), 401, "UNAUTHORIZED")
    envelope_error(client.get(LIST, headers={"x-coreos-access": "nope"}), 401, "UNAUTHORIZED")
    message = envelope_error(client.get(LIST, headers={"x-coreos-access": f"Bearer {token}"}),
                             401, "UNAUTHORIZED")
    assert "Bearer" in message
    envelope_error(client.get(LIST, headers={"Authorization": f"Bearer {token}"}), 401,
                   "UNAUTHORIZED")
    # every billing endpoint, POSTs included, is behind the token
    before = dump(client)
    envelope_error(client.post(f"{BILLING}/payments", json={"invoiceId": "X", "appliedAmount": 1}),
                   401, "UNAUTHORIZED")
    envelope_error(client.post(f"{BILLING}/transporter/cancel-invoice/INV-1"), 401,
                   "UNAUTHORIZED")
    assert dump(client) == before


def test_token_expires_by_the_sandbox_clock(client: TestClient) -> None:
    assert client.post("/_sandbox/clock", json={"freeze": True}).status_code == 200
    headers = login(client)
    assert client.post("/_sandbox/clock", json={"advance": 86399}).status_code == 200
    assert client.get(LIST, headers=headers).status_code == 200
    assert client.post("/_sandbox/clock", json={"advance": 1}).status_code == 200
    message = envelope_error(client.get(LIST, headers=headers), 401, "UNAUTHORIZED")
    assert "expired" in message
    # a fresh token works again
    assert client.get(LIST, headers=login(client)).status_code == 200


def test_wrong_secret_for_a_known_client_is_refused(client: TestClient) -> None:
    login(client, client_id="erp", secret="right")
    before = dump(client)
    response = client.post(TOKEN, headers={"x-coreos-tid": "acme"},
                           json={"clientId": "erp", "clientSecret": "wrong"})
    envelope_error(response, 401, "UNAUTHORIZED")
    assert dump(client) == before
    # a new client never joins a tenant that has clients, even in open mode
    refused = client.post(TOKEN, headers={"x-coreos-tid": "acme"},
                          json={"clientId": "erp-2", "clientSecret": "other"})
    envelope_error(refused, 401, "UNAUTHORIZED")
    assert dump(client) == before
    # ... but may open a new tenant of its own
    assert client.get(LIST, headers=login(client, tenant="fresh", client_id="erp-2",
                                          secret="other")).status_code == 200


def test_token_request_bad_input_writes_nothing(client: TestClient) -> None:
    before = dump(client)
    cases = [
        (b"", "body"),
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (json.dumps({"clientSecret": "x"}).encode(), "clientId"),
        (json.dumps({"clientId": 42, "clientSecret": "x"}).encode(), "clientId"),
        (json.dumps({"clientId": "a", "clientSecret": ["x"]}).encode(), "clientSecret"),
    ]
    for raw, field in cases:
        response = client.post(TOKEN, content=raw, headers={"x-coreos-tid": "acme",
                                                            "content-type": "application/json"})
        assert field in envelope_error(response, 400, "VALIDATION_ERROR")
    response = client.post(TOKEN, json={"clientId": "a", "clientSecret": "b"},
                           headers={"x-coreos-tid": "bad tenant!"})
    assert "x-coreos-tid" in envelope_error(response, 400, "VALIDATION_ERROR")
    assert dump(client) == before


def test_tenant_from_header_host_or_token(client: TestClient) -> None:
    headers = login(client, tenant="acme")
    make_invoice(client, "INV-A-1", tenant="acme")
    token = {"x-coreos-access": headers["x-coreos-access"]}
    for extra in ({"x-coreos-tid": "acme"}, {"host": "acme.localhost:8080"}, {}):
        response = client.get(LIST, headers={**token, **extra})
        assert response.status_code == 200
        assert [i["uniqueCode"] for i in response.json()["data"]["invoices"]] == ["INV-A-1"]
    # a token opens its own tenant only
    envelope_error(client.get(LIST, headers={**token, "x-coreos-tid": "globex"}), 401,
                   "UNAUTHORIZED")
    envelope_error(client.get(LIST, headers={**token, "host": "globex.localhost"}), 401,
                   "UNAUTHORIZED")


def test_token_tenant_from_host_or_client(client: TestClient) -> None:
    response = client.post(TOKEN, headers={"host": "initech.localhost:8080"},
                           json={"clientId": "erp", "clientSecret": "pw"})
    token = response.json()["data"]["accessToken"]
    make_invoice(client, "INV-I-1", tenant="initech")
    assert client.get(LIST, headers={"x-coreos-access": token}).json()["data"]["total"] == 1
    # no tenant named at all: the client's own tenant (created on first use in open mode)
    response = client.post(TOKEN, json={"clientId": "solo-client", "clientSecret": "pw"})
    token = response.json()["data"]["accessToken"]
    ok = client.get(LIST, headers={"x-coreos-access": token, "x-coreos-tid": "solo-client"})
    assert ok.status_code == 200
    response = client.post(TOKEN, json={"clientId": "has spaces", "clientSecret": "pw"})
    assert "x-coreos-tid" in envelope_error(response, 400, "VALIDATION_ERROR")


def test_tenants_are_isolated(client: TestClient) -> None:
    acme, globex = login(client, tenant="acme"), login(client, tenant="globex")
    make_invoice(client, "INV-SHARED-1", tenant="acme")
    assert client.get(LIST, headers=globex).json()["data"]["total"] == 0
    envelope_error(client.get(f"{BILLING}/transporter/invoice/INV-SHARED-1", headers=globex),
                   404, "INVOICE_NOT_FOUND")
    envelope_error(client.post(f"{BILLING}/transporter/cancel-invoice/INV-SHARED-1",
                               headers=globex), 404, "INVOICE_NOT_FOUND")
    envelope_error(client.get(f"{BILLING}/charge/INV-SHARED-1-C1", headers=globex), 404,
                   "CHARGE_NOT_FOUND")
    assert client.get(LIST, headers=acme).json()["data"]["total"] == 1


def test_strict_mode_knows_only_fixture_clients(make_client: Callable[..., TestClient]) -> None:
    client = make_client(auth="strict", fixtures=BUNDLED_FIXTURES)
    headers = login(client, tenant="tms-demo", client_id="tms-demo-client",
                    secret="tms-demo-secret")
    assert client.get(LIST, headers=headers).json()["data"]["total"] == 7
    # the demo client names its tenant by itself
    response = client.post(TOKEN, json={"clientId": "tms-demo-client",
                                        "clientSecret": "tms-demo-secret"})
    assert response.status_code == 200
    before = dump(client)
    for tenant, client_id in (("tms-demo", "someone-else"), ("unknown-tenant", "x")):
        response = client.post(TOKEN, headers={"x-coreos-tid": tenant},
                               json={"clientId": client_id, "clientSecret": "pw"})
        envelope_error(response, 401, "UNAUTHORIZED")
    assert dump(client) == before
