"""Hostile input: random JSON in every field of the write bodies and random list parameters.
Whatever arrives, the answer is a documented Maast answer (never a 500), and a refusal writes
nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from maast_support import Maast, invoice_body

SCALARS = (st.none() | st.booleans() | st.integers(-(10**30), 10**30)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40)
           | st.sampled_from(["", "²", "1e999999", "2026-02-30", "9999-12-31", "-0", "CARD",
                              "RATE", "DAYS", "0.001", "%", "\x00", "𝟙𝟚"]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
FUZZ = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

CREATE_FIELDS = [*invoice_body(), "from_contact", "sales_tax", "checkout_settings",
                 "tran_currency", "profile_id", "footer_note"]
NESTED = ["line_items", "sales_tax", "payment_terms", "billing_contact", "checkout_settings"]


_TARGETS: dict[str, tuple[int, int]] = {}


def target(api: Maast) -> tuple[int, int]:
    """One SAVED invoice with one payment per test (its examples share the tenant)."""
    if api.key not in _TARGETS:
        invoice_id = api.create(invoice_number="FUZZ",
                                line_items=[{"quantity": 1, "unit_cost": 100000}])["invoice_id"]
        _TARGETS[api.key] = (invoice_id, api.pay(invoice_id, 1)["payment_id"])
    return _TARGETS[api.key]


def answered(api: Maast, method: str, path: str, body: Any = None, **kw: Any) -> int:
    response = api.call(method, path, body, **kw)  # checks the answer against the document
    assert response.status_code in (200, 400), response.text
    return response.status_code


@FUZZ
@given(changes=st.dictionaries(st.sampled_from(CREATE_FIELDS), JSON, min_size=1, max_size=3),
       inner=st.tuples(st.sampled_from(NESTED), st.text(max_size=12), JSON))
def test_random_invoice_bodies(api: Maast, changes: dict[str, Any],
                               inner: tuple[str, str, Any]) -> None:
    body = {**invoice_body(sales_tax={"type": "RATE", "value": 1},
                           checkout_settings={"allow_partial_payments": True}), **changes}
    field, key, value = inner
    nested = body.get(field)
    if isinstance(nested, list) and nested and isinstance(nested[0], dict):
        nested[0][key or "quantity"] = value
    elif isinstance(nested, dict):
        nested[key or "value"] = value
    before = api.snapshot()
    if answered(api, "POST", "/invoice", body) == 400:
        assert api.snapshot() == before
    invoice_id, _ = target(api)
    before = api.snapshot()
    if answered(api, "PUT", f"/invoice/{invoice_id}/draft", body) == 400:
        assert api.snapshot() == before


@FUZZ
@given(body=st.fixed_dictionaries(
    {}, optional={"type": JSON | st.sampled_from(["CASH", "CHECK", "OTHER", "CARD"]),
                  "amt_paid": JSON | st.decimals(-1000, 1000, places=3).map(float),
                  "date_payment": JSON | st.just("2026-03-01"), "description": JSON}))
def test_random_payment_bodies(api: Maast, body: dict[str, Any]) -> None:
    invoice_id, payment_id = target(api)
    for method, path in [("POST", f"/invoice/{invoice_id}/payments"),
                         ("PUT", f"/invoice/{invoice_id}/payments/{payment_id}")]:
        before = api.snapshot()
        if answered(api, method, path, body) == 400:
            assert api.snapshot() == before


PARAMS = st.dictionaries(
    st.sampled_from(["count", "page", "order_on", "order_by", "filter"]),
    st.text(max_size=30) | st.sampled_from(["0", "1", "100", "asc", "amt_tran", "status,EQ,PAID",
                                            "amt_tran,BETWEEN,1,2", "invoice_id,IN,1,x"]),
    max_size=4)


@FUZZ
@given(params=PARAMS, filters=st.lists(st.text(max_size=30), max_size=2))
def test_random_list_parameters(api: Maast, params: dict[str, str], filters: list[str]) -> None:
    query: dict[str, Any] = {**params}
    if filters:
        query["filter"] = filters
    for path in ("/invoice", "/invoice/payments", "/invoice/bounced"):
        answered(api, "GET", path, params=query)
