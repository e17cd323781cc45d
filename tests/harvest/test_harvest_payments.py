"""Invoice payments, exactly as in the seed document: list, show, create, delete, and the
invoice's due-amount and state recomputed with every change."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from harvest_support import (
    DECL,
    EMPTY_LIST,
    JSON_CT,
    SEED_PAYMENT_POST,
    XML_CT,
    Harvest,
    fields,
    freeze,
    invoice_xml,
    payment_xml,
)


def seed_invoice(hv: Harvest, *, sent: bool = True) -> int:
    """An invoice whose amount is the seed payment's 52000.0."""
    invoice_id = hv.create_invoice(invoice_xml(lines="Service,Retainer,1,52000.00,,false,false,"))
    if sent:
        assert hv.post(f"/invoices/{invoice_id}/messages/mark_as_sent").status_code == 200
    return invoice_id


def seed_payment_bytes(invoice_id: int, payment_id: int, indent: str = "") -> bytes:
    lines = [
        "<payment>",
        '  <amount type="decimal">52000.0</amount>',
        '  <authorization nil="true"></authorization>',
        '  <created-at type="datetime">2026-03-02T10:30:00Z</created-at>',
        f'  <id type="integer">{payment_id}</id>',
        f'  <invoice-id type="integer">{invoice_id}</invoice-id>',
        "  <notes>Some optional notes go here</notes>",
        '  <paid-at type="datetime">2008-02-14T00:00:00Z</paid-at>',
        '  <pay-pal-transaction-id nil="true"></pay-pal-transaction-id>',
        '  <payment-gateway-id type="integer" nil="true"></payment-gateway-id>',
        "  <recorded-by>tester</recorded-by>",
        "  <recorded-by-email>tester@example.com</recorded-by-email>",
        '  <updated-at type="datetime">2026-03-02T10:30:00Z</updated-at>',
        "</payment>",
    ]
    return "".join(f"{indent}{line}\n" for line in lines).encode()


def test_seed_post_body_creates_the_payment_with_the_documented_location(hv: Harvest) -> None:
    invoice_id = seed_invoice(hv)
    created = hv.post(f"/invoices/{invoice_id}/payments", SEED_PAYMENT_POST)
    assert created.status_code == 201
    location = created.headers["Location"]
    assert location.startswith(f"/invoice/{invoice_id}/payments/")
    assert created.content == b""
    payment_id = int(location.rsplit("/", 1)[1])

    shown = hv.get(location)  # the singular path of the Location header is served
    assert shown.status_code == 200
    assert shown.headers["content-type"] == XML_CT
    assert shown.content == DECL + seed_payment_bytes(invoice_id, payment_id)
    plural = hv.get(f"/invoices/{invoice_id}/payments/{payment_id}")
    assert plural.content == shown.content

    listed = hv.get(f"/invoices/{invoice_id}/payments")
    assert listed.status_code == 200
    assert listed.content == (DECL + b'<payments type="array">\n'
                              + seed_payment_bytes(invoice_id, payment_id, "  ")
                              + b"</payments>\n")

    invoice = fields(hv.get(f"/invoices/{invoice_id}").content)
    assert invoice["due-amount"] == "0.0"
    assert invoice["state"] == "paid"


def test_delete_payment_recomputes_due_amount_and_state(hv: Harvest) -> None:
    invoice_id = seed_invoice(hv)
    location = hv.post(f"/invoices/{invoice_id}/payments", SEED_PAYMENT_POST).headers["Location"]
    payment_id = location.rsplit("/", 1)[1]

    deleted = hv.delete(f"/invoices/{invoice_id}/payments/{payment_id}")
    assert deleted.status_code == 200
    assert deleted.content == b""
    invoice = fields(hv.get(f"/invoices/{invoice_id}").content)
    assert (invoice["due-amount"], invoice["state"]) == ("52000.0", "open")
    assert hv.get(f"/invoices/{invoice_id}/payments").content == EMPTY_LIST
    assert hv.get(location).status_code == 404
    assert hv.delete(f"/invoices/{invoice_id}/payments/{payment_id}").status_code == 404


def test_empty_payment_list_in_both_formats(hv: Harvest) -> None:
    invoice_id = seed_invoice(hv)
    xml = hv.get(f"/invoices/{invoice_id}/payments")
    assert (xml.status_code, xml.content) == (200, EMPTY_LIST)
    as_json = hv.get(f"/invoices/{invoice_id}/payments", fmt="json")
    assert (as_json.headers["content-type"], as_json.content) == (JSON_CT, b"[]")


def test_partial_paid_overpaid_and_back(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()  # 1000.00
    hv.send(invoice_id)
    first = hv.pay(invoice_id, "400")
    assert (hv.invoice(invoice_id)["state"], hv.invoice(invoice_id)["due_amount"]) == (
        "partial", 600.0)
    second = hv.pay(invoice_id, "600.00")
    assert (hv.invoice(invoice_id)["state"], hv.invoice(invoice_id)["due_amount"]) == (
        "paid", 0.0)
    third = hv.pay(invoice_id, "50.25")  # overpayment is accepted
    assert (hv.invoice(invoice_id)["state"], hv.invoice(invoice_id)["due_amount"]) == (
        "paid", -50.25)
    assert hv.delete(f"/invoices/{invoice_id}/payments/{second}").status_code == 200
    assert (hv.invoice(invoice_id)["state"], hv.invoice(invoice_id)["due_amount"]) == (
        "partial", 549.75)
    for payment_id in (first, third):
        assert hv.delete(f"/invoices/{invoice_id}/payments/{payment_id}").status_code == 200
    assert (hv.invoice(invoice_id)["state"], hv.invoice(invoice_id)["due_amount"]) == (
        "open", 1000.0)


def test_payments_move_an_unsent_invoice_as_recorded(hv: Harvest) -> None:
    """The live v1 API, as recorded: half paid is partial, all paid is paid, and deleting every
    payment leaves the invoice open, not draft."""
    invoice_id = hv.create_invoice()
    first = hv.pay(invoice_id, "500")
    assert (hv.invoice(invoice_id)["state"], hv.invoice(invoice_id)["due_amount"]) == (
        "partial", 500.0)
    second = hv.pay(invoice_id, "500")
    assert (hv.invoice(invoice_id)["state"], hv.invoice(invoice_id)["due_amount"]) == (
        "paid", 0.0)
    for payment_id in (first, second):
        assert hv.delete(f"/invoices/{invoice_id}/payments/{payment_id}").status_code == 200
    assert (hv.invoice(invoice_id)["state"], hv.invoice(invoice_id)["due_amount"]) == (
        "open", 1000.0)


def test_documented_reading_keeps_a_paid_draft_draft_until_sent(
        make_client: Callable[..., TestClient]) -> None:
    http = make_client(harvest_follows="documented")
    freeze(http)
    hv = Harvest(http)
    invoice_id = hv.create_invoice()
    payment_id = hv.pay(invoice_id, "1000")
    assert (hv.invoice(invoice_id)["state"], hv.invoice(invoice_id)["due_amount"]) == (
        "draft", 0.0)
    hv.delete(f"/invoices/{invoice_id}/payments/{payment_id}")
    assert hv.invoice(invoice_id)["state"] == "draft"
    hv.pay(invoice_id, "1000")
    assert hv.post(f"/invoices/{invoice_id}/messages/mark_as_sent").status_code == 200
    assert hv.invoice(invoice_id)["state"] == "paid"


@pytest.mark.parametrize("paid_at", [
    "2008-02-14T00:00:00Z", "2008-02-14T03:00:00+0300", "2008-02-14T03:00:00+03:00",
    "2008-02-13T19:00:00-05:00", "2008-02-14",
])
def test_paid_at_forms(account: Harvest, paid_at: str) -> None:
    hv = account
    invoice_id = hv.create_invoice()
    response = hv.post(f"/invoices/{invoice_id}/payments", payment_xml("5", paid_at))
    assert response.status_code == 201, response.text
    shown = fields(hv.get(response.headers["Location"]).content)
    assert shown["paid-at"] == "2008-02-14T00:00:00Z"


def test_untyped_and_reordered_elements(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    body = (b"<payment><notes>cash</notes><amount>12.5</amount>"
            b"<paid-at>2026-03-01</paid-at></payment>")
    response = hv.post(f"/invoices/{invoice_id}/payments", body)
    assert response.status_code == 201
    shown = fields(hv.get(response.headers["Location"]).content)
    assert (shown["amount"], shown["notes"]) == ("12.5", "cash")


def test_json_payments(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    created = hv.post(f"/invoices/{invoice_id}/payments",
                      b'{"payment":{"paid_at":"2026-03-01T12:00:00Z","amount":250.75,'
                      b'"notes":"wire"}}', fmt="json")
    assert created.status_code == 201
    payment_id = int(created.headers["Location"].rsplit("/", 1)[1])
    shown = hv.get(f"/invoices/{invoice_id}/payments/{payment_id}.json")
    assert shown.headers["content-type"] == JSON_CT
    payment = shown.json()["payment"]
    assert list(payment) == [
        "amount", "authorization", "created_at", "id", "invoice_id", "notes", "paid_at",
        "pay_pal_transaction_id", "payment_gateway_id", "recorded_by", "recorded_by_email",
        "updated_at"]
    assert (payment["amount"], payment["paid_at"], payment["notes"]) == (
        250.75, "2026-03-01T12:00:00Z", "wire")
    assert payment["payment_gateway_id"] is None
    listed = hv.get(f"/invoices/{invoice_id}/payments", fmt="json").json()
    assert listed == [{"payment": payment}]
    # a bare object (no root) is accepted too
    bare = hv.post(f"/invoices/{invoice_id}/payments", b'{"paid_at":"2026-03-01","amount":"1"}',
                   fmt="json")
    assert bare.status_code == 201
    assert hv.delete(bare.headers["Location"].replace("/invoice/", "/invoices/"),
                     fmt="json").status_code == 200


@pytest.mark.parametrize(("body", "errors"), [
    (b"<payment><notes>x</notes></payment>",
     ["Amount can't be blank", "Paid at can't be blank"]),
    (payment_xml("abc"), ["Amount is not a number"]),
    (payment_xml("-5"), ["Amount must be greater than 0"]),
    (payment_xml("0"), ["Amount must be greater than 0"]),
    (payment_xml("1.005"), ["Amount must be a number with at most 2 decimal places"]),
    (payment_xml("1e3"), ["Amount is not a number"]),
    (payment_xml("10", "yesterday"), ["Paid at is not a valid datetime"]),
    (payment_xml("10", "2008-02-30"), ["Paid at is not a valid datetime"]),
    (b"<invoice><amount>1</amount></invoice>", ["Expected a <payment> element, got <invoice>"]),
    (b"", ["Request body is empty"]),
])
def test_invalid_payments_are_422_and_write_nothing(account: Harvest, body: bytes,
                                                    errors: list[str]) -> None:
    hv = account
    invoice_id = hv.create_invoice()
    before = hv.snapshot()
    response = hv.post(f"/invoices/{invoice_id}/payments", body)
    assert response.status_code == 422
    assert response.headers["content-type"] == XML_CT
    assert response.content == DECL + b"<errors>\n" + b"".join(
        f"  <error>{e}</error>\n".encode().replace(b"<payment>", b"&lt;payment&gt;")
        .replace(b"<invoice>", b"&lt;invoice&gt;") for e in errors) + b"</errors>\n"
    assert hv.snapshot() == before


def test_invalid_json_payment_errors_are_json(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    before = hv.snapshot()
    response = hv.post(f"/invoices/{invoice_id}/payments", b'{"payment":{"amount":null}}',
                       fmt="json")
    assert response.status_code == 422
    assert response.json() == {"errors": ["Amount can't be blank", "Paid at can't be blank"]}
    assert hv.snapshot() == before


def test_closed_invoice_refuses_payments_with_a_hint(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    hv.send(invoice_id)
    payment_id = hv.pay(invoice_id, "100")
    assert hv.post(f"/invoices/{invoice_id}/messages/mark_as_closed").status_code == 200
    before = hv.snapshot()
    refused = hv.post(f"/invoices/{invoice_id}/payments", payment_xml("10"))
    assert refused.status_code == 400
    assert refused.headers["Hint"] == ("Payments cannot be recorded on a closed invoice. "
                                       "Re-open it first.")
    assert refused.content == (DECL + b"<errors>\n  <error>" + refused.headers["Hint"].encode()
                               + b"</error>\n</errors>\n")
    removal = hv.delete(f"/invoices/{invoice_id}/payments/{payment_id}", fmt="json")
    assert removal.status_code == 400
    assert removal.json() == {"errors": [removal.headers["Hint"]]}
    assert hv.snapshot() == before


def test_unknown_ids_are_the_404_page(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    other = hv.create_invoice()
    payment_id = hv.pay(other, "1")
    for path in (f"/invoices/{invoice_id}/payments/{payment_id}",  # another invoice's payment
                 f"/invoices/{invoice_id}/payments/999999",
                 f"/invoices/{invoice_id}/payments/abc",
                 f"/invoices/{invoice_id}/payments/1.pdf",
                 "/invoices/999999/payments",
                 "/invoices/abc/payments",
                 f"/invoice/{invoice_id}/payments/{payment_id}"):
        response = hv.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert b"<title>HARVEST: Can't find page</title>" in response.content
    before = hv.snapshot()
    assert hv.post("/invoices/999999/payments", payment_xml("1")).status_code == 404
    assert hv.delete(f"/invoices/{invoice_id}/payments/{payment_id}").status_code == 404
    assert hv.snapshot() == before


def test_another_accounts_invoice_is_not_found(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    stranger = Harvest(hv.http, "stranger@elsewhere.example", "pw")
    assert stranger.get(f"/invoices/{invoice_id}/payments").status_code == 404
    assert stranger.post(f"/invoices/{invoice_id}/payments",
                         payment_xml("1")).status_code == 404
    assert hv.get(f"/invoices/{invoice_id}/payments").content == EMPTY_LIST
