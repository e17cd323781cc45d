"""Accounts and credentials: Basic (also `Basic (base64)`), OAuth tokens, Host accounts, open
and strict modes, the throttle, and a switched-off invoices module."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from harvest_support import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_TOKEN,
    EXPIRED_TOKEN,
    Harvest,
    basic_header,
    freeze,
    invoice_xml,
)
from invoice_sandbox.core.tables import Tenant
from invoice_sandbox.settings import BUNDLED_FIXTURES
from sqlmodel import col, select

INVALID_TOKEN_BODY = {
    "error": "invalid_token",
    "error_description": "The access token provided is expired, revoked, malformed or "
                         "invalid for other reasons.",
}


def assert_basic_denied(response: object) -> None:
    assert response.status_code == 401
    assert response.content == b"HTTP Basic: Access denied.\n"
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Harvest"'


def assert_invalid_token(response: object) -> None:
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN_BODY
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith(
        'Bearer realm="Rack::OAuth2 Protected Resources", error="invalid_token"')


def harvest_accounts(http: TestClient) -> list[str]:
    with http.app.state.sandbox.db.read() as session:  # type: ignore[attr-defined]
        rows = session.exec(select(Tenant).where(col(Tenant.provider) == "harvest")).all()
        return sorted(row.key for row in rows)


def who(http: TestClient, **kwargs: object) -> str:
    response = http.get("/account/who_am_i.json", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return str(response.json()["user"]["email"])


def test_demo_user_by_basic_and_by_the_parenthesised_quirk(hv_demo: Harvest) -> None:
    assert who(hv_demo.http, headers=hv_demo.headers) == DEMO_EMAIL
    encoded = base64.b64encode(f"{DEMO_EMAIL}:{DEMO_PASSWORD}".encode()).decode()
    assert who(hv_demo.http, headers={"Authorization": f"Basic ({encoded})"}) == DEMO_EMAIL
    # Ruby's Base64.encode64 without the newline removal
    assert who(hv_demo.http, headers={"Authorization": f"Basic {encoded[:20]}\n"
                                                       f"{encoded[20:]}"}) == DEMO_EMAIL


@pytest.mark.parametrize("headers", [
    {},
    basic_header(DEMO_EMAIL, "wrong"),
    basic_header(DEMO_EMAIL, ""),
    basic_header("not-an-email", "pw"),
    {"Authorization": "Basic %%%notbase64"},
    {"Authorization": "Basic " + base64.b64encode(b"no-colon@x.example").decode()},
    {"Authorization": "Digest username=x"},
])
def test_bad_basic_credentials_are_401(shared_demo: TestClient, headers: dict[str, str]) -> None:
    hv_demo = Harvest(shared_demo, DEMO_EMAIL, DEMO_PASSWORD)
    before = hv_demo.snapshot()
    for method, path in [("GET", "/invoices"), ("POST", "/invoices"), ("GET", "/invoices/1"),
                         ("GET", "/account/who_am_i")]:
        response = hv_demo.http.request(method, path, headers=headers,
                                        content=invoice_xml() if method == "POST" else None)
        assert_basic_denied(response)
    assert hv_demo.snapshot() == before


def test_tokens(hv_demo: Harvest) -> None:
    http = hv_demo.http
    assert who(http, params={"access_token": DEMO_TOKEN}) == DEMO_EMAIL
    assert who(http, headers={"Authorization": f"Bearer {DEMO_TOKEN}"}) == DEMO_EMAIL
    assert who(http, params={"access_token": DEMO_TOKEN},
               headers={"Host": "demo.localhost"}) == DEMO_EMAIL
    listed = http.get("/invoices.json", params={"access_token": DEMO_TOKEN}).json()
    assert len(listed) == 6
    before = hv_demo.snapshot()
    for params, headers in [
        ({"access_token": EXPIRED_TOKEN}, {}),
        ({"access_token": "short"}, {}),
        ({"access_token": "with space in it"}, {}),
        ({}, {"Authorization": f"Bearer {EXPIRED_TOKEN}"}),
        ({"access_token": DEMO_TOKEN}, {"Host": "other.localhost"}),  # another account's host
    ]:
        assert_invalid_token(http.get("/invoices", params=params, headers=headers))
        assert_invalid_token(http.post("/invoices", params=params, headers=headers,
                                       content=invoice_xml()))
    assert hv_demo.snapshot() == before


def test_the_token_expires_by_the_sandbox_clock(make_client: Callable[..., TestClient],
                                                tmp_path: Path) -> None:
    (tmp_path / "harvest.toml").write_text(
        '[[accounts]]\nsubdomain = "tok"\n[[accounts.users]]\nemail = "a@tok.example"\n'
        'password = "pw"\n[[accounts.tokens]]\naccess_token = "short-lived-token"\n'
        'expires_in_hours = 18\n', encoding="utf-8")
    http = make_client(fixtures=tmp_path)
    assert who(http, params={"access_token": "short-lived-token"}) == "a@tok.example"
    http.post("/_sandbox/clock", json={"advance": 18 * 3600 + 1})
    assert_invalid_token(http.get("/invoices", params={"access_token": "short-lived-token"}))


def test_open_mode_accounts(client: TestClient) -> None:
    freeze(client)
    alice = Harvest(client, "alice@shared.example", "a-pw")
    bob = Harvest(client, "bob@shared.example", "b-pw")
    invoice_id = alice.create_invoice()
    # without a Host account, every email is an account of its own
    assert bob.get(f"/invoices/{invoice_id}").status_code == 404
    assert bob.get("/invoices.json").json() == []
    # the first password sticks
    assert_basic_denied(client.get("/invoices",
                                   headers=basic_header("alice@shared.example", "other")))
    # a new user never joins an existing Host account ...
    carol = Harvest(client, "carol@acme.example", "c", host="acme.localhost")
    shared = carol.create_invoice()
    before = carol.snapshot()
    for host in ("acme.localhost", "acme.harvestapp.com"):
        assert_basic_denied(client.get(f"/invoices/{shared}", headers={
            **basic_header("dave@acme.example", "d"), "Host": host}))
    assert carol.snapshot() == before
    # ... until the control plane adds them; then the account is shared by its users
    added = client.post("/_sandbox/harvest/accounts/acme/users",
                        json={"email": "dave@acme.example", "password": "d"})
    assert added.status_code == 201
    assert "password" not in added.json()["user"]
    dave = Harvest(client, "dave@acme.example", "d", host="acme.harvestapp.com")
    assert dave.get(f"/invoices/{shared}").status_code == 200
    assert alice.get(f"/invoices/{shared}").status_code == 404
    # ... and a user of it found without the Host lands there too
    assert Harvest(client, "carol@acme.example", "c").get(f"/invoices/{shared}").status_code == 200
    # a token the sandbox never issued is refused, and opens no account
    accounts = harvest_accounts(client)
    assert_invalid_token(client.get("/invoices.json",
                                    params={"access_token": "brand-new-token-123"}))
    assert harvest_accounts(client) == accounts


def test_strict_mode_knows_only_fixture_logins(make_client: Callable[..., TestClient]) -> None:
    http = make_client(fixtures=BUNDLED_FIXTURES, auth="strict")
    assert who(http, headers=basic_header(DEMO_EMAIL, DEMO_PASSWORD)) == DEMO_EMAIL
    assert who(http, headers=basic_header("pm@demo.example", "harvest-pm")) == "pm@demo.example"
    assert who(http, params={"access_token": DEMO_TOKEN}) == DEMO_EMAIL
    assert_basic_denied(http.get("/invoices", headers=basic_header("new@x.example", "pw")))
    assert_basic_denied(http.get("/invoices", headers={
        **basic_header("new@demo.example", "pw"), "Host": "demo.localhost"}))
    assert_basic_denied(http.get("/invoices", headers={
        **basic_header(DEMO_EMAIL, DEMO_PASSWORD), "Host": "nosuch.localhost"}))
    assert_invalid_token(http.get("/invoices", params={"access_token": "unknown-token-1"}))


def test_throttle_is_off_by_default(hv: Harvest) -> None:
    for _ in range(105):
        assert hv.get("/account/rate_limit_status").status_code == 200
    status = hv.get("/account/rate_limit_status.json").json()
    assert (status["count"], status["lockout_seconds"]) == (101, 0)


def test_throttle_when_enabled(make_client: Callable[..., TestClient]) -> None:
    http = make_client(harvest_throttle=True)
    freeze(http)
    busy = Harvest(http, "busy@example.com", "pw")
    calm = Harvest(http, "calm@example.com", "pw")
    invoice_id = busy.create_invoice()
    for _ in range(99):
        assert busy.get(f"/invoices/{invoice_id}").status_code == 200
    throttled = busy.post("/invoices", invoice_xml())
    assert throttled.status_code == 503
    assert throttled.headers["Retry-After"] == "15"
    assert busy.get("/account/rate_limit_status").status_code == 503
    assert calm.get("/invoices").status_code == 200  # per account
    http.post("/_sandbox/clock", json={"advance": 15})
    status = busy.get("/account/rate_limit_status.json")
    assert status.status_code == 200
    assert status.json()["max_calls"] == 100
    assert [row["invoices"]["id"] for row in busy.get("/invoices.json").json()] == [invoice_id]


def test_a_reset_clears_the_throttle(make_client: Callable[..., TestClient]) -> None:
    http = make_client(harvest_throttle=True)
    freeze(http)
    busy = Harvest(http, "busy@example.com", "pw")
    for _ in range(101):
        busy.get("/invoices")
    assert busy.get("/invoices").status_code == 503
    assert http.post("/_sandbox/reset?provider=harvest").status_code == 200
    status = busy.get("/account/rate_limit_status.json")
    assert status.status_code == 200
    assert status.json()["count"] == 1


def test_disabled_invoices_module_hides_the_api(make_client: Callable[..., TestClient],
                                                tmp_path: Path) -> None:
    (tmp_path / "harvest.toml").write_text(
        '[[accounts]]\nsubdomain = "timeonly"\nmodules = { invoices = false }\n'
        '[[accounts.users]]\nemail = "t@timeonly.example"\npassword = "pw"\n', encoding="utf-8")
    http = make_client(fixtures=tmp_path)
    headers = basic_header("t@timeonly.example", "pw")
    assert http.get("/invoices", headers=headers).status_code == 404
    assert http.post("/invoices", headers=headers, content=invoice_xml()).status_code == 404
    me = http.get("/account/who_am_i.json", headers=headers).json()
    assert me["company"]["modules"]["invoices"] is False


def test_the_served_throttle_flag(served: Callable[..., Any]) -> None:
    server = served("--harvest-throttle", "true", "--fixtures", "none")
    with httpx.Client(base_url=server.url,
                      headers=basic_header("loop@example.com", "pw")) as http:
        assert http.post("/_sandbox/clock", json={"freeze": True}).status_code == 200
        codes = [http.get("/account/rate_limit_status").status_code for _ in range(101)]
        assert codes == [200] * 100 + [503]
        refused = http.get("/invoices")
        assert (refused.status_code, refused.headers["Retry-After"]) == (503, "15")
        http.post("/_sandbox/clock", json={"advance": 15})
        assert http.get("/invoices").status_code == 200
