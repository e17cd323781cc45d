"""Credentials never reach the journal, whatever form they arrive in: the journal redacts the
credential the provider edge accepted (or checked), wherever and however it appears, besides
the fields named like secrets (issue: five forms the API accepts leaked)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from invoice_sandbox.sandbox.redaction import WITHHELD, Secrets, headers

from tests.conftest import basic

PAYONE = "/URL2PayAdminWeb/rest/InvoicesService/inquireInvoice"
TOKEN_PATH = "/core/api/v1/aaa/auth/client-credentials"


def journal_text(client: TestClient) -> str:
    response = client.get("/_sandbox/requests")
    assert response.status_code == 200
    return response.text


def payone_form(token: str) -> bytes:
    document = {"merchantID": "M-9", "authenticationToken": token, "invoiceID": "X-1"}
    return b"invoice=" + json.dumps(document).encode().replace(b"{", b"%7B")


@pytest.mark.parametrize("content_type", [None, "APPLICATION/X-WWW-FORM-URLENCODED",
                                          "text/plain", "application/json"])
def test_payone_token_whatever_the_content_type(client: TestClient,
                                                content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    client.post(PAYONE, content=payone_form("payone-token-1"), headers=headers)
    assert "payone-token-1" not in journal_text(client)


def test_payone_token_under_an_escaped_key_name(client: TestClient) -> None:
    document = ('{"merchantID": "M-9", "authenticat\\u0069onToken": "payone-token-2", '
                '"invoiceID": "X-1"}')
    answer = client.post(PAYONE, data={"invoice": document})
    assert answer.status_code == 200
    text = journal_text(client)
    assert "payone-token-2" not in text and "[redacted]" in text


def test_payone_token_escaped_in_key_and_value(client: TestClient) -> None:
    document = ('{"merchantID": "M-9", "authenticat\\u0069onToken": "\\u0070ayone-token-3", '
                '"invoiceID": "X-1"}')
    client.post(PAYONE, data={"invoice": document})
    text = journal_text(client)
    assert "payone-token-3" not in text and "ayone-token-3" not in text


def test_transportone_client_secret_in_json_labelled_as_a_form(client: TestClient) -> None:
    body = json.dumps({"clientId": "client-b", "clientSecret": "client-secret-4"})
    client.post(TOKEN_PATH, content=body,
                headers={"content-type": "application/x-www-form-urlencoded",
                         "x-coreos-request-id": "5f0c8f7e-3d5a-4ad4-9d55-2c2f2c2ad112"})
    assert "client-secret-4" not in journal_text(client)


def test_harvest_semicolon_access_token(client: TestClient) -> None:
    client.get("/invoices?page=1;access_token=harvest-token-5")
    client.get("/invoices;access_token=harvest-token-5")
    assert "harvest-token-5" not in journal_text(client)


def test_transportone_access_token_in_the_query(client: TestClient) -> None:
    client.get("/tms/api/v1/billing/invoices?x-coreos-access=access-token-6",
               headers={"x-coreos-tid": "acme"})
    assert "access-token-6" not in journal_text(client)


def test_an_accepted_credential_is_redacted_everywhere(client: TestClient) -> None:
    """A Maast key is accepted from the Authorization header; sent again inside a body, a
    query or an odd header, in any escaping, it is still redacted."""
    key = "maast/key+7"
    client.get("/platform/invoice", params={"note": key},  # URL-encoded in the query
               headers={**basic("", key), "x-echo": key})
    client.post("/platform/invoice", content=json.dumps({"customer_id": key}),  # JSON-escaped
                headers={**basic("", key), "content-type": "text/plain"})
    text = journal_text(client)
    assert key not in text and "maast%2Fkey%2B7" not in text and "maast\\/key+7" not in text
    assert "[redacted]" in text


def test_secrets_are_found_in_their_escaped_forms() -> None:
    secrets = Secrets(["s3cret/va lue"])
    for text in ("s3cret/va lue", "s3cret%2Fva%20lue", "s3cret%2fva+lue", "s3cret/va lue",
                 json.dumps({"a": "s3cret/va lue"})):
        assert "s3cret" not in secrets.scrub(f"before {text} after")
    escaped = '{"a": "\\u0073\\u0033cret/va lue"}'
    assert secrets.scrub(escaped) == WITHHELD
    assert Secrets(["ab"]).scrub("abc") == "abc"  # too short to be told from ordinary text


def test_header_values_are_scrubbed_one_by_one_in_effect() -> None:
    """Header values are scrubbed together where none can hide an encoded credential; the
    answer is what scrubbing each value alone gives, whatever mix of values arrives."""
    secrets = Secrets(["s3cr3t-key"])
    plain = [(b"x-one", b"a s3cr3t-key b"), (b"x-two", b"none here"),
             (b"x-three", b"S3CR3T-KEY")]
    escaped = [*plain, (b"x-json", b'{"k": "\\u0073\\u0033cr3t-key"}'),
               (b"x-url", b"s3cr3t%2Dkey")]
    for raw in (plain, escaped):
        shown = headers(raw, secrets, redact=True)
        expected = {k.decode(): secrets.scrub(v.decode()) for k, v in raw}
        assert shown == expected
        assert "s3cr3t" not in str(shown).lower()
    assert headers(escaped, secrets, redact=True)["x-json"] == WITHHELD
    # A credential holding a line break cannot span two values to shift the others.
    broken = Secrets(["key\nnext"])
    assert headers([(b"a", b"key"), (b"b", b"next")], broken, redact=False) == {
        "a": "key", "b": "next"}
