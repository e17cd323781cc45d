"""Money is exact: integer minor units, decimals parsed without floats, computed amounts rounded
half-up, and amounts finer than the currency's minor unit refused rather than rounded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invoice_sandbox.core import money
from invoice_sandbox.core.money import MoneyError


@pytest.mark.parametrize(("raw", "expected"), [
    (0.1, Decimal("0.1")), (15.25, Decimal("15.25")), (1.49, Decimal("1.49")), (10, Decimal(10)),
    ("2.345", Decimal("2.345")), (" 7.50 ", Decimal("7.50")), (Decimal("3.10"), Decimal("3.10")),
])
def test_parsing_keeps_the_literal_the_client_wrote(raw: object, expected: Decimal) -> None:
    assert money.to_decimal(raw) == expected
    assert str(money.to_decimal(0.1)) == "0.1"  # not 0.1000000000000000055511151231257827


@pytest.mark.parametrize("raw", [True, False, "abc", "", None, "NaN", "Infinity", float("nan"),
                                 float("inf"), [1], "1,50"])
def test_parsing_refuses_what_is_not_a_finite_number(raw: object) -> None:
    with pytest.raises(MoneyError):
        money.to_decimal(raw)


def test_sums_are_exact() -> None:
    parts = [money.to_minor(money.to_decimal(v)) for v in (0.1, 0.2, 0.3)]
    assert sum(parts) == 60 and money.from_minor(sum(parts)) == Decimal("0.60")
    assert money.to_minor(money.to_decimal(14.9)) + money.to_minor(money.to_decimal(0.35)) == 1525


@pytest.mark.parametrize(("amount", "currency", "minor"), [
    ("15.25", "840", 1525), ("15.2", "840", 1520), ("15.250", "840", 1525), ("0", "840", 0),
    ("-3.5", "840", -350), ("100", "392", 100), ("1.234", "414", 1234), ("999999999999.99",
                                                                        "840", 99999999999999),
])
def test_to_minor_is_exact(amount: str, currency: str, minor: int) -> None:
    assert money.to_minor(Decimal(amount), currency) == minor


@pytest.mark.parametrize(("amount", "currency"), [
    ("1.001", "840"), ("0.005", "840"), ("1.5", "392"), ("1.2345", "414"), ("1e-9", "840"),
])
def test_over_precise_amounts_are_refused_not_rounded(amount: str, currency: str) -> None:
    with pytest.raises(MoneyError, match="decimal places"):
        money.to_minor(Decimal(amount), currency)


@pytest.mark.parametrize("amount", ["1e15", "-1e15", "1e999999", "1e999999999", "9" * 40])
def test_absurdly_large_amounts_are_refused(amount: str) -> None:
    with pytest.raises(MoneyError, match="too large"):
        money.to_minor(Decimal(amount))


@pytest.mark.parametrize(("minor", "currency", "text"), [
    (1525, "840", "15.25"), (5, "840", "0.05"), (0, "840", "0.00"), (-350, "840", "-3.50"),
    (100, "392", "100"), (1234, "400", "1.234"),
])
def test_from_minor(minor: int, currency: str, text: str) -> None:
    assert str(money.from_minor(minor, currency)) == text


@pytest.mark.parametrize(("amount", "minor"), [
    ("0.005", 1), ("0.015", 2), ("0.025", 3), ("0.0049", 0), ("2.675", 268), ("-0.005", -1),
    ("0.349405", 35),
])
def test_computed_amounts_round_half_up(amount: str, minor: int) -> None:
    assert money.round_to_minor(Decimal(amount)) == minor


@pytest.mark.parametrize(("minor", "rate", "tax"), [
    (1490, "2.345", 35), (100, "0.5", 1), (1, "50", 1), (300, "0.5", 2), (999, "0", 0),
    (10000, "8.25", 825),
])
def test_percent_of_rounds_half_up(minor: int, rate: str, tax: int) -> None:
    assert money.percent_of(minor, Decimal(rate)) == tax


def test_exponents_and_labels() -> None:
    assert (money.exponent("840"), money.exponent("USD"), money.exponent("392"),
            money.exponent("kwd")) == (2, 2, 0, 3)
    assert (money.currency_label("840"), money.currency_label("978"),
            money.currency_label("sar")) == ("USD", "EUR", "SAR")


@settings(max_examples=50, deadline=None)
@given(st.decimals(min_value=Decimal("-99999999999.99"), max_value=Decimal("99999999999.99"),
                   places=2, allow_nan=False, allow_infinity=False))
def test_round_trip_of_any_cent_amount(amount: Decimal) -> None:
    minor = money.to_minor(amount)
    assert money.from_minor(minor) == amount
    assert money.to_minor(money.to_decimal(str(amount))) == minor
