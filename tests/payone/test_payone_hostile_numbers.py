"""Hostile numbers in SmartLink requests: the documented business error (00008 for a JSON
number no field can take, the field's own code for Unicode digits), never a 500; nothing
written, not even the merchant an open-mode request would have registered."""

from __future__ import annotations

import json

import pytest
from payone_support import PayOne, item
from state_support import everything

HUGE = "1e99999999999999999999"  # Decimal() raises InvalidOperation on this


def _with_number(document: dict[str, object], literal: str) -> str:
    return json.dumps(document).replace('"__NUMBER__"', literal)


@pytest.mark.parametrize("literal", [HUGE, f"-{HUGE}", "1e-99999999999999999999", "1e400",
                                     "9" * 101])
@pytest.mark.parametrize(("operation", "where"), [
    ("createInvoice", "amount"),
    ("createInvoice", "dynamic"),
    ("createInvoice", "top"),
    ("refundInvoice", "amount"),
    ("inquireInvoice", "top"),
])
def test_numbers_out_of_range_are_00008(shop: PayOne, operation: str, where: str,
                                        literal: str) -> None:
    shop.create_one("INV-1")
    fresh = PayOne(shop.http, shop.merchant + "x", "fresh-token")  # would be registered
    before = everything(shop.http)
    for api in (shop, fresh):
        if operation == "createInvoice":
            detail = item("INV-2", amount="__NUMBER__" if where == "amount" else "100",
                          dynamicFields=[{"ItemID": "__NUMBER__"}] if where == "dynamic" else [])
            document = api.document(invoicesDetails=[detail])
        else:
            document = api.document(invoiceID="INV-1")
            if where == "amount":
                document["amount"] = "__NUMBER__"
        if where == "top":
            document["extra"] = "__NUMBER__"
        body = api.error(operation, _with_number(document, literal), "00008")
        assert body == {"Error": "00008", "ErrorMessage": "Invalid Parameters Values"}
    assert everything(shop.http) == before


@pytest.mark.parametrize(("fields", "code"), [
    ({"amount": "１００"}, "00004"), ({"amount": "1²"}, "00004"), ({"amount": "١٠٠"}, "00004"),
    ({"expiryperiod": "３D"}, "00015"), ({"expiryperiod": "١D"}, "00015"),
    ({"customerMobileNumber": "00966５00000000", "customerEmailAddress": None}, "00013"),
])
def test_unicode_digits_are_not_digits(shop: PayOne, fields: dict[str, str | None],
                                       code: str) -> None:
    before = everything(shop.http)
    shop.error("createInvoice", shop.document(invoicesDetails=[item("INV-U", **fields)]), code)
    assert everything(shop.http) == before
