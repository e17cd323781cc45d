"""Hostile numbers and list queries: Maast's own 400 (code 2), never a 500 or a wrong answer,
and nothing written."""

from __future__ import annotations

import json

import pytest
from maast_support import Maast, invoice_body
from state_support import everything

HUGE = "1e99999999999999999999"  # Decimal() raises InvalidOperation on this


def _raw(document: dict[str, object], field_path: str, literal: str) -> bytes:
    """`document` as JSON with the value at `field_path` replaced by a raw number literal."""
    marker = "__NUMBER__"
    target: object = document
    *parents, last = field_path.split(".")
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]  # type: ignore[index]
    target[int(last) if isinstance(target, list) else last] = marker  # type: ignore[index]
    return json.dumps(document).replace(f'"{marker}"', literal).encode()


@pytest.mark.parametrize("literal", [HUGE, f"-{HUGE}", "1e-99999999999999999999", "1e400",
                                     "1.00000000000000000000000000001", "9" * 101])
@pytest.mark.parametrize(("method", "path", "field"), [
    ("POST", "/invoice", "line_items.0.quantity"),
    ("POST", "/invoice", "line_items.0.unit_cost"),
    ("POST", "/invoice", "sales_tax.value"),
    ("POST", "/invoice/{i}/payments", "amt_paid"),
    ("PUT", "/invoice/{i}/draft", "line_items.0.unit_cost"),
])
def test_numbers_out_of_range_are_a_400(api: Maast, method: str, path: str, field: str,
                                        literal: str) -> None:
    invoice_id = api.create()["invoice_id"]
    document: dict[str, object] = (
        {"type": "CASH", "amt_paid": 1, "date_payment": "2026-03-01"} if "payments" in path
        else invoice_body(invoice_number="INV-2", sales_tax={"type": "RATE", "value": 1}))
    before = everything(api.http)  # type: ignore[arg-type]
    payload = api.fail(method, path.format(i=invoice_id), raw=_raw(document, field, literal))
    assert payload["message"] == "Invalid request: number out of range"
    assert set(payload["data"]) == {"body"} and payload["data"]["body"].startswith("a number ")
    assert everything(api.http) == before  # type: ignore[arg-type]


@pytest.mark.parametrize("digits", ["²", "١", "１", "1²"])
def test_unicode_digits_in_paths_and_queries_are_a_400(api: Maast, digits: str) -> None:
    invoice_id = api.create()["invoice_id"]
    before = everything(api.http)  # type: ignore[arg-type]
    for method, path, params, field in [
        ("GET", f"/invoice/{digits}/detail", None, "invoice_id"),
        ("GET", "/invoice", {"page": digits}, "page"),
        ("GET", "/invoice", {"count": digits}, "count"),
        ("GET", "/invoice", {"filter": f"invoice_id,EQ,{digits}"}, "filter[0]"),
        ("GET", "/invoice", {"filter": f"amt_tran,GT,{digits}"}, "filter[0]"),
        ("GET", "/invoice/payments", {"filter": f"invoice_id,IN,{invoice_id},{digits}"},
         "filter[0]"),
        ("DELETE", f"/invoice/{invoice_id}/payments/{digits}", None, "payment_id"),
    ]:
        payload = api.fail(method, path, params=params)
        assert field in payload["data"], (path, params, payload)
    # "١" is not read as 1: a DAYS term written in Arabic-Indic digits is refused.
    payload = api.fail("POST", "/invoice", invoice_body(
        invoice_number="INV-3", payment_terms={"type": "DAYS", "value": f"1{digits}"}))
    assert "payment_terms.value" in payload["data"]
    payload = api.fail("POST", "/invoice", invoice_body(invoice_number="INV-4",
                                                        tran_currency=f"84{digits[-1]}"))
    assert "tran_currency" in payload["data"]
    assert everything(api.http) == before  # type: ignore[arg-type]


def test_too_many_filters_are_a_400(api: Maast) -> None:
    api.create()
    before = everything(api.http)  # type: ignore[arg-type]
    for count in (21, 997, 1200):  # 997 ANDed filters exceed SQLite's expression depth
        payload = api.fail("GET", "/invoice",
                           params=[("filter", "invoice_number,NE,x")] * count)
        assert payload["data"] == {"filter": f"at most 20 filters are allowed, got {count}"}
    # The bound itself still answers.
    listed = api.ok("GET", "/invoice", params=[("filter", "invoice_number,NE,x")] * 20)
    assert [row["invoice_number"] for row in listed] == ["INV-1"]
    assert everything(api.http) == before  # type: ignore[arg-type]


def test_long_filter_values_and_like_patterns_are_a_400(api: Maast) -> None:
    api.create()
    before = everything(api.http)  # type: ignore[arg-type]
    for value in ("%" + "a" * 50_001, "a" * 1001):  # SQLite refuses LIKE patterns > 50,000
        payload = api.fail("GET", "/invoice", params={"filter": f"invoice_number,LIKE,{value}"})
        assert payload["data"] == {
            "filter[0]": "the value of invoice_number is longer than 1000 characters"}
    payload = api.fail("GET", "/invoice", params={
        "filter": "invoice_id,IN," + ",".join(str(i) for i in range(101))})
    assert payload["data"] == {"filter[0]": "at most 100 values are allowed"}
    assert everything(api.http) == before  # type: ignore[arg-type]
    listed = api.ok("GET", "/invoice", params={"filter": "invoice_number,LIKE,%" + "_" * 4})
    assert [row["invoice_number"] for row in listed] == ["INV-1"]
