"""`x-coreos-request-id`: a repeated POST replays the first answer. OS1 clients reuse one id for
every call, so an id is scoped to its route, and a reused id with another body is a new request
(a 409 only with `--transportone-idempotency strict`)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from transportone_kit import BILLING, TOKEN, detail, dump, envelope_error, login, make_invoice

PAY = f"{BILLING}/payments"


def payments_of(client: TestClient, headers: dict[str, str], code: str) -> int:
    response = client.get(f"{BILLING}/invoice/payments/{code}", headers=headers)
    return int(response.json()["data"]["total"])


def test_same_id_and_body_replays_and_changes_nothing(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-I-1", state="APPROVED")
    keyed = {**headers, "x-coreos-request-id": "5b0f6c1e-0000-4000-8000-000000000001"}
    first = client.post(PAY, headers=keyed, json={"invoiceId": "INV-I-1", "appliedAmount": 100})
    assert first.status_code == 200 and "x-coreos-idempotent-replay" not in first.headers
    before = dump(client)
    # same JSON, other spacing and key order
    again = client.post(PAY, headers={**keyed, "content-type": "application/json"},
                        content=b'{ "appliedAmount": 100,  "invoiceId": "INV-I-1" }')
    assert again.status_code == 200 and again.content == first.content
    assert again.headers["x-coreos-idempotent-replay"] == "true"
    assert dump(client) == before
    assert payments_of(client, headers, "INV-I-1") == 1
    # the same id with a trailing slash is the same request
    assert client.post(f"{PAY}/", headers=keyed,
                       json={"invoiceId": "INV-I-1", "appliedAmount": 100}).content == \
        first.content


def test_same_id_with_another_body_is_a_new_request(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-I-2", state="APPROVED")
    keyed = {**headers, "x-coreos-request-id": "req-42"}
    client.post(PAY, headers=keyed, json={"invoiceId": "INV-I-2", "appliedAmount": 100})
    second = client.post(PAY, headers=keyed, json={"invoiceId": "INV-I-2", "appliedAmount": 99})
    assert second.status_code == 200 and "x-coreos-idempotent-replay" not in second.headers
    assert detail(client, headers, "INV-I-2")["paidAmount"] == 199
    # the latest request under the id is the one replayed
    replay = client.post(PAY, headers=keyed, json={"invoiceId": "INV-I-2", "appliedAmount": 99})
    assert replay.headers["x-coreos-idempotent-replay"] == "true"
    assert replay.content == second.content
    assert detail(client, headers, "INV-I-2")["paidAmount"] == 199
    # the same id on another route is another request
    response = client.post(f"{BILLING}/transporter/cancel-invoice/INV-I-2", headers=keyed)
    envelope_error(response, 403, "INVOICE_CANNOT_BE_CANCELLED")


def test_one_constant_id_for_every_call(client: TestClient) -> None:
    """What OS1 client code does: one `x-coreos-request-id` for the token and every call."""
    constant = {"x-coreos-request-id": "00000000-0000-0000-0000-000000000000"}
    token = client.post(TOKEN, headers={**constant, "x-coreos-tid": "acme"},
                        json={"clientId": "acme-erp", "clientSecret": "s3cret"})
    assert token.status_code == 200
    headers = {**constant, "x-coreos-tid": "acme",
               "x-coreos-access": token.json()["data"]["accessToken"]}
    for code in ("INV-C-1", "INV-C-2"):
        make_invoice(client, code, state="APPROVED")
        paid = client.post(PAY, headers=headers, json={"invoiceId": code, "appliedAmount": 10})
        assert paid.status_code == 200, paid.text
        assert paid.json()["data"]["invoiceId"] == code
    for code in ("INV-C-1", "INV-C-2"):
        assert detail(client, headers, code)["paidAmount"] == 10


def test_strict_ids_make_another_body_a_conflict(make_client: Callable[..., TestClient]) -> None:
    client = make_client(transportone_idempotency="strict")
    headers = login(client)
    make_invoice(client, "INV-I-2", state="APPROVED")
    keyed = {**headers, "x-coreos-request-id": "req-42"}
    client.post(PAY, headers=keyed, json={"invoiceId": "INV-I-2", "appliedAmount": 100})
    before = dump(client)
    response = client.post(PAY, headers=keyed, json={"invoiceId": "INV-I-2", "appliedAmount": 99})
    assert "req-42" in envelope_error(response, 409, "DUPLICATE_REQUEST_ID")
    assert dump(client) == before
    assert detail(client, headers, "INV-I-2")["paidAmount"] == 100


def test_replayed_cancel_answers_like_the_first_time(client: TestClient) -> None:
    headers = {**login(client), "x-coreos-request-id": "cancel-1"}
    make_invoice(client, "INV-I-3")
    body = {"invoiceId": "INV-I-3", "cancellationReason": "duplicate"}
    url = f"{BILLING}/transporter/cancel-invoice"
    first = client.post(url, headers=headers, json=body)
    replay = client.post(url, headers=headers, json=body)
    assert first.status_code == replay.status_code == 200
    assert replay.json() == first.json()
    # without the id, the repeat is a new request and is refused
    plain = {k: v for k, v in headers.items() if k != "x-coreos-request-id"}
    envelope_error(client.post(url, headers=plain, json=body), 403, "INVOICE_CANNOT_BE_CANCELLED")


def test_failed_requests_are_not_remembered(client: TestClient) -> None:
    headers = {**login(client), "x-coreos-request-id": "retry-me"}
    make_invoice(client, "INV-I-4", state="APPROVED")
    envelope_error(client.post(PAY, headers=headers, json={"invoiceId": "INV-I-4"}), 400,
                   "VALIDATION_ERROR")
    envelope_error(client.post(PAY, headers=headers,
                               json={"invoiceId": "INV-I-4", "appliedAmount": 1e9}),
                   400, "VALIDATION_ERROR")
    fixed = client.post(PAY, headers=headers, json={"invoiceId": "INV-I-4", "appliedAmount": 5})
    assert fixed.status_code == 200
    assert payments_of(client, headers, "INV-I-4") == 1


def test_request_ids_are_per_tenant(client: TestClient) -> None:
    acme, globex = login(client, tenant="acme"), login(client, tenant="globex")
    make_invoice(client, "INV-I-5", tenant="acme", state="APPROVED")
    make_invoice(client, "INV-I-5", tenant="globex", state="APPROVED")
    for headers in (acme, globex):
        response = client.post(PAY, headers={**headers, "x-coreos-request-id": "shared"},
                               json={"invoiceId": "INV-I-5", "appliedAmount": 7})
        assert response.status_code == 200 and "x-coreos-idempotent-replay" not in response.headers
        assert payments_of(client, headers, "INV-I-5") == 1


def test_bulk_charge_and_token_requests_replay(client: TestClient) -> None:
    headers = {**login(client), "x-coreos-request-id": "bulk-1"}
    body = {"create": [{"chargeHead": "Freight Charges", "amount": 10}]}
    first = client.post(f"{BILLING}/bulk-process-charge", headers=headers, json=body)
    again = client.post(f"{BILLING}/bulk-process-charge", headers=headers, json=body)
    assert again.content == first.content
    listed = client.get(f"{BILLING}/shipper/charge", headers=headers).json()["data"]
    assert listed["total"] == 1
    token_headers = {"x-coreos-tid": "acme", "x-coreos-request-id": "token-1"}
    creds = {"clientId": "acme-erp", "clientSecret": "s3cret"}
    one = client.post(TOKEN, headers=token_headers, json=creds)
    two = client.post(TOKEN, headers=token_headers, json=creds)
    assert one.json() == two.json()
    other = client.post(TOKEN, headers=token_headers, json={**creds, "audience": "other"})
    assert other.status_code == 200 and other.json() != one.json()  # a new request


def test_overlong_request_id_is_refused(client: TestClient) -> None:
    headers = {**login(client), "x-coreos-request-id": "x" * 201}
    make_invoice(client, "INV-I-6", state="APPROVED")
    before = dump(client)
    response = client.post(PAY, headers=headers, json={"invoiceId": "INV-I-6", "appliedAmount": 1})
    assert "x-coreos-request-id" in envelope_error(response, 400, "VALIDATION_ERROR")
    assert dump(client) == before
