"""Every failure comes back in Maast's envelope with its code and HTTP status, never as a framework
error or a stack trace, and a failed request writes nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from invoice_sandbox.core import invoices
from maast_support import Maast, invoice_body

# One call per operation, with a valid body where it needs one; {i} and {p} are the seeded
# invoice and payment.
OPERATIONS: list[tuple[str, str, Any]] = [
    ("POST", "/invoice", invoice_body()),
    ("GET", "/invoice", None),
    ("GET", "/invoice/{i}/detail", None),
    ("PUT", "/invoice/{i}/draft", {"footer_note": "x"}),
    ("PUT", "/invoice/{i}/outstanding", {"billing_contact": invoice_body()["billing_contact"]}),
    ("POST", "/invoice/{i}/copy", None),
    ("POST", "/invoice/{i}/send", None),
    ("POST", "/invoice/{i}/resend", None),
    ("DELETE", "/invoice/{i}/cancel", None),
    ("POST", "/invoice/{i}/payments", {"type": "CASH", "amt_paid": 1,
                                       "date_payment": "2026-03-01"}),
    ("GET", "/invoice/{i}/payments", None),
    ("GET", "/invoice/payments", None),
    ("PUT", "/invoice/{i}/payments/{p}", {"type": "CASH", "amt_paid": 2,
                                          "date_payment": "2026-03-01"}),
    ("DELETE", "/invoice/{i}/payments/{p}", None),
    ("GET", "/invoice/bounced", None),
]


class Seeded:
    """A tenant with one SAVED invoice carrying one payment."""

    def __init__(self, api: Maast) -> None:
        self.api = api
        self.invoice = int(api.create()["invoice_id"])
        self.payment = int(api.pay(self.invoice, 1)["payment_id"])

    def path(self, template: str, invoice: object = None) -> str:
        return template.format(i=self.invoice if invoice is None else invoice, p=self.payment)


@pytest.fixture
def seeded(api: Maast) -> Seeded:
    return Seeded(api)


# --- 401 -------------------------------------------------------------------------------------

def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


BAD_AUTH = [
    None,
    "",
    "Bearer {key}",
    "Basic",
    "Basic !!!not-base64!!!",
    "Basic " + b64("no-colon-here"),
    "Basic " + b64(":"),
    "Basic " + b64(":key with spaces"),
    "Basic " + b64(":" + "k" * 129),
    "Basic " + base64.b64encode(b":\xff\xfe").decode(),
]


def test_missing_or_invalid_basic_auth_is_401_code_11(seeded: Seeded) -> None:
    api = seeded.api
    before = api.snapshot()
    for method, template, body in OPERATIONS:
        for header in BAD_AUTH:
            headers = {} if header is None else {"Authorization": header.format(key=api.key)}
            response = api.call(method, seeded.path(template), body, auth=False, headers=headers)
            assert response.status_code == 401, (method, template, header)
            assert response.json()["code"] == 11 and "data" not in response.json()
            assert response.headers["www-authenticate"].startswith("Basic")
    assert api.snapshot() == before


def test_the_key_may_also_come_as_the_user_name(seeded: Seeded) -> None:
    response = seeded.api.call("GET", seeded.path("/invoice/{i}/detail"), auth=False,
                               headers={"Authorization": "Basic " + b64(seeded.api.key + ":")})
    assert response.status_code == 200
    assert response.json()["data"]["invoice_id"] == seeded.invoice


# --- 400 code 2: bodies ----------------------------------------------------------------------

WRITES = [(m, p) for m, p, _ in OPERATIONS if m in ("POST", "PUT")]
MALFORMED = [b"{", b'{"a": }', b"[1, 2]", b'"text"', b"42", b"null", b"\xff\xfe{}",
             b'{"amt_paid": NaN}', b'{"amt_paid": Infinity}', b"[" * 100_000,
             b'{"a": 1' + b"0" * 5000 + b"}"]


def test_malformed_or_non_object_json_is_code_2(seeded: Seeded) -> None:
    api = seeded.api
    before = api.snapshot()
    for method, template in WRITES:
        for raw in MALFORMED:
            failure = api.fail(method, seeded.path(template), raw=raw)
            assert list(failure["data"]) == ["body"], (method, template, raw[:20])
    assert api.snapshot() == before


def test_an_empty_body_is_code_2_where_a_body_is_required(seeded: Seeded) -> None:
    api = seeded.api
    before = api.snapshot()
    for method, template in WRITES:
        if template.endswith(("copy", "send", "resend")):  # their body is optional
            continue
        assert list(api.fail(method, seeded.path(template), raw=b"")["data"]) == ["body"]
    assert api.snapshot() == before


def test_a_huge_body_is_refused(seeded: Seeded) -> None:
    api = seeded.api
    before = api.snapshot()
    failure = api.fail("POST", "/invoice", invoice_body(footer_note="x" * 2_000_000))
    assert list(failure["data"]) == ["body"]
    assert api.snapshot() == before


LONG = {"customer_id": 33, "invoice_number": 26, "profile_id": 21, "footer_note": 751,
        "payment_terms_note": 501, "date_invoice": 33}
CONTACT_LONG = {"first_name": 33, "last_name": 33, "firm_name": 65, "address1": 129,
                "address2": 129, "city": 65, "state": 33, "zip": 11, "zip4": 5, "phone": 17,
                "email_address": 65, "country_code": 4, "country": 65}
BAD_CREATES: list[tuple[dict[str, Any], set[str]]] = [
    ({"customer_id": None, "invoice_number": None}, {"customer_id", "invoice_number"}),
    ({"customer_id": 42}, {"customer_id"}),
    ({"invoice_number": ["INV"]}, {"invoice_number"}),
    ({"save_customer": "yes"}, {"save_customer"}),
    ({"tran_currency": "USD"}, {"tran_currency"}),
    ({"tran_currency": 840}, {"tran_currency"}),
    ({"billing_contact": "Ada"}, {"billing_contact"}),
    ({"billing_contact": None}, {"billing_contact"}),
    ({"billing_contact": {"first_name": "A"}},
     {"billing_contact.last_name", "billing_contact.email_address"}),
    ({"from_contact": {"first_name": "A"}},
     {"from_contact.firm_name", "from_contact.phone", "from_contact.email_address"}),
    ({"line_items": {"quantity": 1}}, {"line_items"}),
    ({"line_items": [{"quantity": 1}]}, {"line_items[0].unit_cost"}),
    ({"line_items": [{"unit_cost": 1}]}, {"line_items[0].quantity"}),
    ({"line_items": [{"quantity": 1, "unit_cost": 1}, {"quantity": "2", "unit_cost": 1}]},
     {"line_items[1].quantity"}),
    ({"line_items": [{"quantity": 1, "unit_cost": -1}]}, {"line_items[0].unit_cost"}),
    ({"line_items": [{"quantity": 0, "unit_cost": 1}]}, {"line_items[0].quantity"}),
    ({"line_items": [{"quantity": -2, "unit_cost": 1}]}, {"line_items[0].quantity"}),
    ({"line_items": [{"quantity": 1, "unit_cost": 1.001}]}, {"line_items[0].unit_cost"}),
    ({"line_items": [{"quantity": 1.0001, "unit_cost": 1}]}, {"line_items[0].quantity"}),
    ({"line_items": [{"quantity": 1, "unit_cost": 1e12}]}, {"line_items[0].unit_cost"}),
    ({"line_items": [{"quantity": 1, "unit_cost": 1, "description": "d" * 129}]},
     {"line_items[0].description"}),
    ({"line_items": [{"quantity": 999999999999, "unit_cost": 999999999999}]}, {"amt_tran"}),
    ({"line_items": [{"quantity": 1, "unit_cost": 600000000000}] * 2}, {"amt_tran"}),
    ({"sales_tax": {"type": "PERCENT", "value": 1}}, {"sales_tax.type"}),
    ({"sales_tax": {"type": "RATE"}}, {"sales_tax.value"}),
    ({"sales_tax": {"type": "RATE", "value": -1}}, {"sales_tax.value"}),
    ({"sales_tax": {"type": "RATE", "value": 1.00001}}, {"sales_tax.value"}),
    ({"sales_tax": {"type": "RATE", "value": 999999999999},
      "line_items": [{"quantity": 1, "unit_cost": 100}]}, {"amt_tran"}),
    ({"sales_tax": {"type": "AMOUNT", "value": 1.005}}, {"sales_tax.value"}),
    ({"sales_tax": {"type": "AMOUNT", "value": "1"}}, {"sales_tax.value"}),
    ({"tran_currency": "392", "sales_tax": {"type": "AMOUNT", "value": 1.5}},
     {"sales_tax.value"}),
    ({"payment_terms": {"type": "WEEKS", "value": "1"}}, {"payment_terms.type"}),
    ({"payment_terms": {"type": "DAYS", "value": 10}}, {"payment_terms.value"}),
    ({"payment_terms": {"type": "DAYS", "value": "ten"}}, {"payment_terms.value"}),
    ({"payment_terms": {"type": "DAYS", "value": "-1"}}, {"payment_terms.value"}),
    ({"payment_terms": {"type": "DAYS", "value": "²"}}, {"payment_terms.value"}),
    ({"payment_terms": {"type": "DAYS", "value": "3651"}}, {"payment_terms.value"}),
    ({"payment_terms": {"type": "DATE", "value": "soon"}}, {"payment_terms.value"}),
    ({"date_invoice": "01/02/2026"}, {"date_invoice"}),
    ({"date_invoice": "2026-02-30"}, {"date_invoice"}),
    ({"date_invoice": "9999-12-31"}, {"payment_terms.value"}),
    ({"checkout_settings": {"allow_partial_payments": "true"}},
     {"checkout_settings.allow_partial_payments"}),
    *[({name: "x" * size}, {name}) for name, size in LONG.items()],
    *[({"billing_contact": {"first_name": "A", "last_name": "B", "email_address": "e",
                            name: "x" * size}}, {f"billing_contact.{name}"})
      for name, size in CONTACT_LONG.items()],
]


def test_bad_create_and_draft_fields_are_code_2_naming_every_failing_field(
        seeded: Seeded) -> None:
    api = seeded.api
    before = api.snapshot()
    for overrides, fields in BAD_CREATES:
        failure = api.fail("POST", "/invoice", invoice_body(**overrides))  # None: left out
        assert set(failure["data"]) == fields, (overrides, failure)
        assert all(isinstance(reason, str) and reason for reason in failure["data"].values())
        # The same field rules hold for a draft update, which requires no field.
        body = {k: v for k, v in overrides.items() if v is not None}
        if body:
            if "customer_id" in body:
                body.update(save_customer=True,
                            billing_contact=invoice_body()["billing_contact"])
            draft = api.fail("PUT", seeded.path("/invoice/{i}/draft"), body)
            assert set(draft["data"]) == fields, (body, draft)
    assert api.snapshot() == before


def test_unknown_fields_are_ignored(api: Maast) -> None:
    data = api.ok("POST", "/invoice", invoice_body(colour="blue", amt_paid=1000, status="PAID"))
    assert "colour" not in data and (data["amt_paid"], data["status"]) == (0, "SAVED")


BAD_IDS = ["424242424", "0", "abc", "²", "1e3", "-1", "9" * 30, "%20", "1;DROP"]


def test_unknown_or_malformed_invoice_ids_are_code_2(seeded: Seeded) -> None:
    api = seeded.api
    before = api.snapshot()
    for method, template, body in OPERATIONS:
        if "{i}" not in template:
            continue
        for raw in BAD_IDS:
            failure = api.fail(method, seeded.path(template, raw), body)
            assert list(failure["data"]) == ["invoice_id"], (method, template, raw)
    assert api.snapshot() == before


def test_another_tenants_ids_are_unknown_ids(seeded: Seeded) -> None:
    other = Maast(seeded.api.http, key=seeded.api.key + "-other")
    mine = seeded.api.snapshot()
    for method, template, body in OPERATIONS:
        if "{i}" in template:
            failure = other.fail(method, seeded.path(template), body)
            assert failure["data"] == {"invoice_id": "not found"}, (method, template)
    assert seeded.api.snapshot() == mine


# --- 404 code 7 and 500 code 99 --------------------------------------------------------------

UNKNOWN_SERVICES = [
    ("GET", ""), ("GET", "/"), ("GET", "/invoices"), ("GET", "/invoice/{i}"),
    ("GET", "/invoice/{i}/nothing"), ("POST", "/invoice/{i}/detail"), ("PATCH", "/invoice"),
    ("DELETE", "/invoice"), ("GET", "/invoice/{i}/payments/{p}"), ("POST", "/invoice/{i}/pay"),
    ("PUT", "/invoice/payments"), ("GET", "/customer/vault"), ("GET", "/invoice/{i}/cancel"),
    ("DELETE", "/invoice/{i}"), ("POST", "/invoice/{i}/payments/{p}"),
]


def test_unknown_services_are_404_code_7(seeded: Seeded) -> None:
    api = seeded.api
    before = api.snapshot()
    for method, template in UNKNOWN_SERVICES:
        for auth in (True, False):
            response = api.call(method, seeded.path(template), auth=auth)
            assert response.status_code == 404, (method, template)
            assert response.json() == {"code": 7, "message": "The service called does not exist"}
    assert api.snapshot() == before


def test_an_unexpected_fault_is_500_code_99_and_writes_nothing(
        seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    api = seeded.api
    before = api.snapshot()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(invoices, "record_payment", broken)
    response = api.call("POST", seeded.path("/invoice/{i}/payments"),
                        {"type": "CASH", "amt_paid": 1, "date_payment": "2026-03-01"})
    assert response.status_code == 500
    assert response.json() == {"code": 99,
                               "message": "Internal server error, please try again later"}
    assert "disk on fire" not in response.text
    monkeypatch.undo()
    assert api.snapshot() == before


def test_a_fault_after_the_first_change_of_a_transaction_rolls_it_back(
        seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    """`send` moves and stamps the invoice before it records the delivery: all or nothing."""
    api = seeded.api
    before = api.snapshot()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("mail server gone")

    monkeypatch.setattr(invoices, "add_event", broken)
    response = api.call("POST", seeded.path("/invoice/{i}/send"))
    assert (response.status_code, response.json()["code"]) == (500, 99)
    monkeypatch.undo()
    assert api.snapshot() == before
    assert api.send(seeded.invoice)["status"] == "OUTSTANDING"


def test_error_bodies_are_compact_json(seeded: Seeded) -> None:
    response = seeded.api.call("GET", "/invoice/424242424/detail")
    assert response.content == json.dumps(
        response.json(), separators=(",", ":"), ensure_ascii=False).encode()
