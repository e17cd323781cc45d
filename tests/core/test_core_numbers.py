"""Numbers from clients: ASCII digits only, bounded, and every refusal a NumberError (a
ValueError), never decimal.InvalidOperation or a silently rounded value."""

from __future__ import annotations

from decimal import Decimal

import pytest
from invoice_sandbox.core import numbers
from invoice_sandbox.core.numbers import NumberError

UNICODE_DIGITS = ["²", "¹", "١", "٣٤", "１０", "४", "1²", "𝟗"]


@pytest.mark.parametrize("text", UNICODE_DIGITS)
def test_unicode_digits_are_not_digits(text: str) -> None:
    assert text.isdigit() or not text.isascii()  # what str.isdigit() would have let through
    assert not numbers.is_digits(text)
    for parse in (numbers.whole, numbers.integer, numbers.decimal):
        with pytest.raises(NumberError):
            parse(text)


@pytest.mark.parametrize("text", ["", " 1", "1 ", "+1", "-1", "1_000", "1.0", "0x10", "1e3"])
def test_whole_numbers_are_plain_ascii_digits(text: str) -> None:
    with pytest.raises(NumberError):
        numbers.whole(text)


def test_whole_numbers_keep_their_range() -> None:
    assert numbers.whole("0042") == 42
    assert numbers.whole("7", 1, 10) == 7
    with pytest.raises(NumberError, match="between 1 and 10"):
        numbers.whole("11", 1, 10)
    assert numbers.integer("-9223372036854775808") == -(2**63)
    with pytest.raises(NumberError, match="out of range"):
        numbers.integer("9223372036854775808")


@pytest.mark.parametrize(("text", "value"), [
    ("15.25", Decimal("15.25")), ("-0.5", Decimal("-0.5")), (".5", Decimal("0.5")),
    ("1e3", Decimal("1E+3")), ("2.5E-2", Decimal("0.025")), ("1e307", Decimal("1e307")),
    ("0e999999999", Decimal(0)), ("10.5000000000000000000000000000000", Decimal("10.5")),
])
def test_decimals_are_exact(text: str, value: Decimal) -> None:
    assert numbers.decimal(text) == value


@pytest.mark.parametrize(("text", "reason"), [
    ("1e99999999999999999999", "out of range"),  # Decimal() itself raises InvalidOperation
    ("-1e99999999999999999999", "out of range"),
    ("1e-99999999999999999999", "out of range"),
    ("1e308", "out of range"),  # beyond an IEEE double
    ("1e-308", "out of range"),
    ("1.00000000000000000000000000001", "significant digits"),  # would round to 1
    ("1" * 101, "longer than 100"),
    ("NaN", "not a number"), ("Infinity", "not a number"), ("-inf", "not a number"),
    ("1,5", "not a number"), ("1_0", "not a number"), ("", "not a number"),
])
def test_decimals_out_of_bounds_are_refused(text: str, reason: str) -> None:
    with pytest.raises(NumberError, match=reason):
        numbers.decimal(text)


def test_json_numbers_are_exact_and_bounded() -> None:
    assert numbers.loads_exact(b'{"a": 0.1, "b": 12, "c": [1e2]}') == {
        "a": Decimal("0.1"), "b": 12, "c": [Decimal("1E+2")]}
    for document in (b'{"a": 1e99999999999999999999}', b'[1e-400]', b'[' + b"9" * 101 + b']'):
        with pytest.raises(NumberError):
            numbers.loads_exact(document)
    for document in (b'[NaN]', b'[Infinity]', b'[-Infinity]'):
        with pytest.raises(ValueError):  # malformed JSON, as before
            numbers.loads_exact(document)
