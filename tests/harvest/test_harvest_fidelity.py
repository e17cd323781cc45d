"""What real Harvest clients and recorded v1 traffic expect, one test per point: trailing
slashes, raw `+` in tokens, the JSON message root, tax amounts never nil, the timeframe filter,
unknown tokens, Rails-style bracketed fields, list order, the 401 wording and the CSV of an
empty description. The examples are written here, after the facts, not copied from recordings."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from harvest_support import (
    CSV_HEADER,
    DEMO_EMAIL,
    TODAY,
    Harvest,
    fields,
    freeze,
    invoice_xml,
    payment_xml,
    records,
)
from invoice_sandbox.settings import BUNDLED_FIXTURES

FIXTURE_TOKEN = "goYjSXD3cOJ30N7OID/ajvSBaEADbhTIIxDSQHK+WA9vyRltEVl7GAs="
INVALID_TOKEN = {
    "error": "invalid_token",
    "error_description": "The access token provided is expired, revoked, malformed or invalid "
                         "for other reasons.",
}
FORM = "application/x-www-form-urlencoded"


def issue_token(http: TestClient, account: str = "demo") -> str:
    response = http.post(f"/_sandbox/harvest/accounts/{account}/tokens")
    assert response.status_code == 201, response.text
    return str(response.json()["access_token"])


# --- 1. trailing slashes ---------------------------------------------------------------------

def test_every_path_answers_with_a_trailing_slash_and_no_redirect(hv: Harvest) -> None:
    created = hv.post("/invoices/", invoice_xml(), follow_redirects=False)
    assert created.status_code == 201
    invoice_id = int(created.headers["Location"].rsplit("/", 1)[1])
    base = f"/invoices/{invoice_id}"
    paid = hv.post(f"{base}/payments/", payment_xml("100"), follow_redirects=False)
    assert paid.status_code == 201
    payment_id = int(paid.headers["Location"].rsplit("/", 1)[1])
    sent = hv.post(f"{base}/messages/", b"<invoice-message><recipients>a@b.example</recipients>"
                   b"</invoice-message>", follow_redirects=False)
    assert sent.status_code == 201
    message_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    for method, path, body in [
        ("GET", "/invoices/", None),
        ("GET", f"{base}/", None),
        ("PUT", f"{base}/", b"<invoice><subject>Slashed</subject></invoice>"),
        ("GET", f"{base}/payments/", None),
        ("GET", f"{base}/payments/{payment_id}/", None),
        ("GET", f"/invoice/{invoice_id}/payments/{payment_id}/", None),
        ("GET", f"{base}/messages/", None),
        ("GET", f"{base}/messages/{message_id}/", None),
        ("POST", f"{base}/messages/mark_as_closed/", None),
        ("POST", f"{base}/messages/re_open/", None),
        ("GET", "/account/who_am_i/", None),
        ("GET", "/account/rate_limit_status/", None),
    ]:
        response = hv.call(method, path, body, follow_redirects=False)
        assert response.status_code == 200, (method, path, response.status_code)
    assert hv.invoice(invoice_id)["subject"] == "Slashed"
    assert hv.delete(f"{base}/messages/{message_id}/", follow_redirects=False).status_code == 200
    assert hv.delete(f"{base}/payments/{payment_id}/", follow_redirects=False).status_code == 200
    assert hv.delete(f"{base}/", follow_redirects=False).status_code == 200
    assert hv.get(base).status_code == 404


# --- 2. tokens with `+`, `/` and `=` ---------------------------------------------------------

@pytest.mark.parametrize("auth", ["open", "strict"])
def test_base64_tokens_sent_unencoded(make_client: Callable[..., TestClient], auth: str) -> None:
    http = make_client(fixtures=BUNDLED_FIXTURES, auth=auth)
    issued = issue_token(http)
    assert "+" in issued and "/" in issued and issued.endswith("=")
    for token in (FIXTURE_TOKEN, issued):
        raw = http.get(f"/account/who_am_i.json?access_token={token}")  # `+` as sent: raw
        assert raw.status_code == 200, raw.text
        assert raw.json()["user"]["email"] == DEMO_EMAIL
        encoded = http.get(f"/account/who_am_i.json?access_token={quote(token, safe='')}")
        assert encoded.status_code == 200
        bearer = http.get("/account/who_am_i.json", headers={"Authorization": f"Bearer {token}"})
        assert bearer.status_code == 200
        listed = http.get(f"/invoices.json?page=1&access_token={token}&status=draft")
        assert listed.status_code == 200 and len(listed.json()) == 1
    # a space is not a plus: the token with `+` percent-encoded as a space is another token
    spaced = http.get(f"/invoices.json?access_token={FIXTURE_TOKEN.replace('+', '%20')}")
    assert (spaced.status_code, spaced.json()) == (401, INVALID_TOKEN)


def test_issued_tokens_expire_and_belong_to_their_account(
        make_client: Callable[..., TestClient]) -> None:
    http = make_client(fixtures=BUNDLED_FIXTURES)
    freeze(http)
    response = http.post("/_sandbox/harvest/accounts/demo/tokens", json={"expires_in_hours": 1})
    assert response.status_code == 201
    body = response.json()
    assert (body["token_type"], body["expires_in"], body["expires_at"]) == (
        "bearer", 3600, "2026-03-02T11:30:00.000Z")
    token = body["access_token"]
    assert http.get(f"/invoices?access_token={token}").status_code == 200
    other = http.get(f"/invoices?access_token={token}", headers={"Host": "other.localhost"})
    assert other.status_code == 401
    http.post("/_sandbox/clock", json={"advance": 3600})
    assert http.get(f"/invoices?access_token={token}").status_code == 401
    for bad in ({"expires_in_hours": 0}, {"expires_in_hours": "1"}, {"expires_in_hours": True}):
        refused = http.post("/_sandbox/harvest/accounts/demo/tokens", json=bad)
        assert refused.status_code == 400
    assert http.post("/_sandbox/harvest/accounts/Not_A_Host/tokens").status_code == 400


def test_strict_mode_issues_tokens_only_for_known_accounts(
        make_client: Callable[..., TestClient]) -> None:
    http = make_client(fixtures=BUNDLED_FIXTURES, auth="strict")
    assert http.post("/_sandbox/harvest/accounts/nosuch/tokens").status_code == 404
    assert http.post("/_sandbox/harvest/accounts/nosuch/users",
                     json={"email": "a@b.example", "password": "pw"}).status_code == 404
    added = http.post("/_sandbox/harvest/accounts/demo/users",
                      json={"email": "new@demo.example", "password": "pw",
                            "first_name": "New", "admin": False})
    assert added.status_code == 201
    assert http.post("/_sandbox/harvest/accounts/demo/users",
                     json={"email": "new@demo.example", "password": "pw"}).status_code == 409
    me = Harvest(http, "new@demo.example", "pw").get("/account/who_am_i.json").json()
    assert (me["user"]["first_name"], me["user"]["admin"]) == ("New", False)


# --- 3. the JSON message root ----------------------------------------------------------------

def test_messages_are_rooted_message_in_json_and_invoice_message_in_xml(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    message_id = hv.send(invoice_id)
    shown = hv.get(f"/invoices/{invoice_id}/messages/{message_id}", fmt="json").json()
    assert list(shown) == ["message"]
    assert shown["message"]["id"] == message_id
    listed = hv.get(f"/invoices/{invoice_id}/messages", fmt="json").json()
    assert listed == [shown]
    xml = hv.get(f"/invoices/{invoice_id}/messages/{message_id}").content
    assert b"<invoice-message>" in xml and b"<message>" not in xml
    # what a client that reads `message` does next: delete by the id it found
    assert hv.delete(f"/invoices/{invoice_id}/messages/{shown['message']['id']}").status_code == 200
    assert hv.get(f"/invoices/{invoice_id}/messages", fmt="json").json() == []


# --- 4. tax amounts are never nil ------------------------------------------------------------

def test_tax_amounts_are_zero_not_nil_without_taxes(hv: Harvest) -> None:
    untaxed = hv.create_invoice()
    taxed = hv.create_invoice(invoice_xml(lines="Service,Work,1,100.00,,true,false,", tax="8"))
    shown = fields(hv.get(f"/invoices/{untaxed}").content)
    assert (shown["tax"], shown["tax2"]) == (None, None)
    assert (shown["tax-amount"], shown["tax2-amount"]) == ("0.0", "0.0")
    xml = hv.get(f"/invoices/{untaxed}").content
    assert b'<tax2-amount type="decimal">0.0</tax2-amount>' in xml
    assert b'<tax-amount type="decimal">0.0</tax-amount>' in xml
    for row in records(hv.get("/invoices").content):
        assert row["tax2-amount"] == "0.0"
    listed = hv.get("/invoices", fmt="json").json()
    by_id = {row["invoices"]["id"]: row["invoices"] for row in listed}
    assert (by_id[untaxed]["tax_amount"], by_id[untaxed]["tax2_amount"]) == (0.0, 0.0)
    assert (by_id[taxed]["tax_amount"], by_id[taxed]["tax2_amount"]) == (8.0, 0.0)


# --- 6. the timeframe filter -----------------------------------------------------------------

def test_timeframe_selects_the_day_an_invoice_was_created(hv: Harvest) -> None:
    old_issue = hv.create_invoice(invoice_xml(issued_at="2011-06-15", number="OLD"))
    hv.http.post("/_sandbox/clock", json={"advance": 86400})
    tomorrow = hv.create_invoice(invoice_xml(issued_at=TODAY, number="NEXT"))

    def ids(query: str) -> list[int]:
        response = hv.get(f"/invoices.json?{query}")
        assert response.status_code == 200, response.text
        return [row["invoices"]["id"] for row in response.json()]

    assert ids(f"from={TODAY}&to={TODAY}") == [old_issue]  # dashed, as Date#to_s sends
    assert ids("from=20260302&to=20260302") == [old_issue]
    assert ids("from=2026-03-03") == [tomorrow]
    assert ids("to=2026-03-02") == [old_issue]
    assert ids("from=19690101&to=19690101") == []
    assert ids("from=2011-06-15&to=2011-06-15") == []  # not the issue date
    bad = hv.get("/invoices.json?from=2026-3-2")
    assert bad.status_code == 422


def test_documented_reading_selects_by_issue_date(make_client: Callable[..., TestClient]) -> None:
    http = make_client(harvest_follows="documented")
    freeze(http)
    hv = Harvest(http)
    old_issue = hv.create_invoice(invoice_xml(issued_at="2011-06-15"))
    assert [r["invoices"]["id"] for r in hv.get(
        "/invoices.json?from=2011-06-15&to=2011-06-15").json()] == [old_issue]
    assert hv.get(f"/invoices.json?from={TODAY}&to={TODAY}").json() == []


# --- 7. tokens the sandbox never issued ------------------------------------------------------

@pytest.mark.parametrize("auth", ["open", "strict"])
def test_a_token_never_issued_is_401(make_client: Callable[..., TestClient], auth: str) -> None:
    http = make_client(auth=auth)
    for request in (
        lambda: http.get("/invoices?access_token=made-up-token-0001"),
        lambda: http.post("/invoices?access_token=made-up-token-0001", content=invoice_xml()),
        lambda: http.get("/invoices", headers={"Authorization": "Bearer made-up-token-0001"}),
        lambda: http.get("/invoices?access_token=made-up-token-0001",
                         headers={"Host": "newco.localhost"}),
    ):
        response = request()
        assert (response.status_code, response.json()) == (401, INVALID_TOKEN)
    # nothing was created: a Basic user of that host is the first of a new account
    newcomer = Harvest(http, "first@newco.example", "pw", host="newco.localhost")
    if auth == "open":
        assert newcomer.get("/invoices.json").json() == []
    else:
        assert newcomer.get("/invoices.json").status_code == 401


# --- 8. Rails-style bracketed fields ---------------------------------------------------------

def test_fields_in_the_query_string_with_an_empty_json_body(hv: Harvest) -> None:
    """What node-harvest 1.x sends: `invoice[...]=` in the query, no body, JSON headers."""
    query = ("invoice[client_id]=46066&invoice[subject]=From+the+query&invoice[issued_at]="
             f"{TODAY}&invoice[csv_line_items]=" + quote(f"{CSV_HEADER}\nService,Work,2,50.00,,"
                                                         "false,false,\n"))
    created = hv.post(f"/invoices/?{query}", b"", fmt="json")
    assert created.status_code == 201, created.text
    invoice_id = int(created.headers["Location"].rsplit("/", 1)[1])
    shown = hv.invoice(invoice_id)
    assert (shown["subject"], shown["amount"], shown["client_id"]) == ("From the query", 100.0,
                                                                      46066)
    assert hv.put(f"/invoices/{invoice_id}/?invoice%5Bsubject%5D=Renamed", b"",
                  fmt="json").status_code == 200
    assert hv.invoice(invoice_id)["subject"] == "Renamed"
    paid = hv.post(f"/invoices/{invoice_id}/payments/?payment[amount]=40&"
                   "payment[paid_at]=2026-03-01T10:00:00Z", b"", fmt="json")
    assert paid.status_code == 201, paid.text
    sent = hv.post(f"/invoices/{invoice_id}/messages?message[recipients]=ap@client.example",
                   b"", fmt="json")
    assert sent.status_code == 201, sent.text
    shown = hv.invoice(invoice_id)
    assert (shown["state"], shown["due_amount"]) == ("partial", 60.0)
    # the body wins over the query, as Rails merged them
    both = hv.put(f"/invoices/{invoice_id}?invoice[subject]=Query", b'{"invoice":{"subject":'
                  b'"Body"}}', fmt="json")
    assert both.status_code == 200
    assert hv.invoice(invoice_id)["subject"] == "Body"


def test_fields_in_a_form_body(hv: Harvest) -> None:
    body = ("invoice%5Bclient_id%5D=7&invoice%5Bsubject%5D=Form+made&invoice%5Bcsv_line_items%5D="
            + quote(f"{CSV_HEADER}\nService,Work,1,30.00,,false,false,\n")).encode()
    created = hv.post("/invoices", body, headers={"Content-Type": FORM})
    assert created.status_code == 201, created.text
    invoice_id = int(created.headers["Location"].rsplit("/", 1)[1])
    assert hv.invoice(invoice_id)["subject"] == "Form made"
    paid = hv.post(f"/invoices/{invoice_id}/payments",
                   b"payment[amount]=30&payment[paid_at]=2026-03-01&payment[notes]=cash+in+hand",
                   headers={"Content-Type": FORM})
    assert paid.status_code == 201, paid.text
    payment = hv.get(paid.headers["Location"], fmt="json").json()["payment"]
    assert (payment["amount"], payment["notes"]) == (30.0, "cash in hand")
    # a form without the record's fields is a validation error, and writes nothing
    before = hv.snapshot()
    refused = hv.post("/invoices", b"utf8=%E2%9C%93&commit=Save", headers={"Content-Type": FORM})
    assert refused.status_code == 422 and b"Client can't be blank" in refused.content
    assert hv.snapshot() == before
    # ... and bodiless state actions still take an empty form
    assert hv.post(f"/invoices/{invoice_id}/messages/mark_as_closed", b"",
                   headers={"Content-Type": FORM}).status_code == 400  # paid: nothing to close


# --- 9. list order ---------------------------------------------------------------------------

def test_lists_run_by_issue_date_latest_first(hv: Harvest) -> None:
    made: dict[str, int] = {}
    for number, issued in [("A", "2026-02-01"), ("B", "2011-05-05"), ("C", "2026-02-20"),
                           ("D", "2026-02-01")]:
        made[number] = hv.create_invoice(invoice_xml(issued_at=issued, number=number))
    listed = [row["invoices"]["number"] for row in hv.get("/invoices.json").json()]
    assert listed == ["C", "D", "A", "B"]  # same day: the newer first


def test_documented_reading_lists_newest_first(make_client: Callable[..., TestClient]) -> None:
    http = make_client(harvest_follows="documented")
    freeze(http)
    hv = Harvest(http)
    for number, issued in [("A", "2026-02-01"), ("B", "2011-05-05"), ("C", "2026-02-20")]:
        hv.create_invoice(invoice_xml(issued_at=issued, number=number))
    assert [row["invoices"]["number"] for row in hv.get("/invoices.json").json()] == [
        "C", "B", "A"]


# --- 10. the 401 wording and Ruby's CSV ------------------------------------------------------

def test_invalid_token_answer_as_rack_oauth2_wrote_it(client: TestClient) -> None:
    response = client.get("/invoices?access_token=nobody-issued-this")
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="Rack::OAuth2 Protected Resources", error="invalid_token", '
        'error_description="The access token provided is expired, revoked, malformed or '
        'invalid for other reasons."')


def test_csv_writes_an_empty_description_as_ruby_did(hv: Harvest) -> None:
    lines = "\n".join(['Service,"",1,1.00,,false,false,', 'Product,"Say ""hi"", twice",2,3.50,,'
                       'false,false,12'])
    invoice_id = hv.create_invoice(invoice_xml(lines=lines))
    csv_text = hv.invoice(invoice_id)["csv_line_items"]
    assert csv_text == (f"{CSV_HEADER}\nService,\"\",1.00,1.00,1.0,false,false,\n"
                        'Product,"Say ""hi"", twice",2.00,3.50,7.0,false,false,12\n')
