"""Control-plane protection: the optional token, cross-site writes refused, allowed hosts; the
provider APIs and the hosted checkout page keep working, and a refused call changes nothing."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from invoice_sandbox.settings import BUNDLED_FIXTURES

TOKEN = "guard-t0ken"
MAAST = {"Authorization": "Basic " + base64.b64encode(b":maast-demo-key").decode()}
RULE = {"provider": "maast", "action": "delay", "ms": 1}


def rules(http: TestClient, **headers: str) -> list[object]:
    response = http.get("/_sandbox/faults", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["faults"])


@pytest.fixture
def guarded(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client(fixtures=BUNDLED_FIXTURES, control_token=TOKEN)


def test_without_a_token_every_control_call_is_refused(guarded: TestClient) -> None:
    for method, path in [("GET", "/_sandbox/health"), ("GET", "/_sandbox/requests"),
                         ("GET", "/_sandbox/openapi.json"), ("POST", "/_sandbox/reset"),
                         ("GET", "/_sandbox/openapi/maast.json"), ("GET", "/_sandbox/nothing")]:
        response = guarded.request(method, path)
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"].startswith("Bearer")
    wrong = guarded.post("/_sandbox/faults", json=RULE, headers={"X-Sandbox-Token": "nope"})
    assert wrong.status_code == 401
    assert rules(guarded, **{"X-Sandbox-Token": TOKEN}) == []


def test_the_token_as_bearer_or_header_opens_it(guarded: TestClient) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert guarded.get("/_sandbox/health", headers=bearer).json()["status"] == "ok"
    created = guarded.post("/_sandbox/faults", json=RULE, headers={"X-Sandbox-Token": TOKEN})
    assert created.status_code == 201
    assert len(rules(guarded, **bearer)) == 1


def test_providers_and_the_checkout_page_need_no_token(guarded: TestClient) -> None:
    listing = guarded.get("/platform/invoice", headers=MAAST)
    assert listing.status_code == 200 and listing.json()["totalRecords"] == 4
    assert guarded.get("/checkout/unknown-link").status_code == 404  # the page, not a 401


def test_the_pages_load_and_take_the_token_once(guarded: TestClient) -> None:
    docs = guarded.get("/_sandbox/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert guarded.get("/_sandbox/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert guarded.get("/_sandbox/ui?token=wrong", follow_redirects=False).status_code == 401
    adopted = guarded.get(f"/_sandbox/docs?token={TOKEN}", follow_redirects=False)
    assert adopted.status_code == 303
    assert adopted.headers["location"] == "/_sandbox/docs"
    cookie = adopted.headers["set-cookie"]
    assert f"sandbox_token={TOKEN}" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    # The browser now sends the cookie: the document the page fetches is served.
    assert guarded.get("/_sandbox/openapi.json").status_code == 200


@pytest.mark.parametrize("headers", [
    {"content-type": "text/plain"},
    {"content-type": "application/x-www-form-urlencoded"},
    {"content-type": "multipart/form-data; boundary=x"},
    {"content-type": "application/json", "origin": "http://evil.example"},
    {"content-type": "application/json", "origin": "null"},
    {"content-type": "application/json", "sec-fetch-site": "cross-site"},
])
def test_cross_site_writes_are_refused_and_change_nothing(client: TestClient,
                                                          headers: dict[str, str]) -> None:
    response = client.post("/_sandbox/faults", content=b'{"provider": "maast", '
                           b'"action": "delay", "ms": 1}', headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "cross_site"
    assert rules(client) == []
    reset = client.post("/_sandbox/reset", headers={k: v for k, v in headers.items()
                                                    if k != "content-type"} or headers)
    assert reset.status_code == 403


def test_same_origin_json_and_plain_clients_may_write(client: TestClient) -> None:
    assert client.post("/_sandbox/faults", json=RULE,
                       headers={"origin": "http://testserver",
                                "sec-fetch-site": "same-origin"}).status_code == 201
    assert client.post("/_sandbox/reset").status_code == 200  # curl -X POST: no browser marks
    assert client.post("/_sandbox/faults", content=b"x", headers={
        "content-type": "text/plain", "X-Sandbox-Token": "anything"}).status_code == 400
    assert client.get("/_sandbox/faults", headers={"origin": "http://evil.example"}
                      ).status_code == 200  # reads are not writes (and carry no cookie)


def test_allowed_hosts(make_client: Callable[..., TestClient]) -> None:
    http = make_client(fixtures=BUNDLED_FIXTURES, allowed_hosts=("localhost", "*.sandbox.test"))
    for host, status in [("localhost:8080", 200), ("api.sandbox.test", 200),
                         ("sandbox.test", 200), ("rebound.example", 403), ("testserver", 403)]:
        response = http.get("/_sandbox/health", headers={"Host": host})
        assert response.status_code == status, host
    refused = http.get("/checkout/x", headers={"Host": "rebound.example"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "host_not_allowed"
    # Provider paths keep their Host semantics (Harvest accounts are Host names).
    assert http.get("/platform/invoice", headers={**MAAST, "Host": "rebound.example"}
                    ).status_code == 200
