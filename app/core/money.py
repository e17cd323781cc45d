"""Exact money: integer minor units in the core, Decimal at the edges, never binary floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from . import numbers

# ISO 4217 minor-unit exponents for the currencies that differ from the default of 2.
_EXPONENTS = {
    "JPY": 0, "392": 0, "KRW": 0, "410": 0,
    "JOD": 3, "400": 3, "KWD": 3, "414": 3, "BHD": 3, "048": 3, "OMR": 3, "512": 3,
    "TND": 3, "788": 3, "IQD": 3, "368": 3, "LYD": 3, "434": 3,
}


# Largest accepted amount in major units: far above any invoice, and its minor units still fit
# the database's signed 64-bit integers (and Decimal's exponent range).
MAX_MAJOR = Decimal(10) ** 15


class MoneyError(ValueError):
    """An amount that cannot be represented exactly in the currency's minor units."""


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def to_decimal(value: object) -> Decimal:
    """Parse an amount from JSON/XML/form input without going through float: ASCII digits
    only, bounded (see `numbers`)."""
    if isinstance(value, bool):
        raise MoneyError("not a number")
    if isinstance(value, float):
        value = repr(value)  # shortest repr round-trips the literal the client wrote
    try:
        if isinstance(value, Decimal):
            return numbers.bounded(value)
        return numbers.decimal(str(value).strip())
    except numbers.NumberError as exc:
        raise MoneyError(str(exc).removeprefix("is ")) from exc


def to_minor(amount: Decimal, currency: str = "840") -> int:
    """Exact conversion; more decimals than the currency allows is an error, not a rounding."""
    if amount.copy_abs() >= MAX_MAJOR:  # copy_abs: no context, so no Overflow on 1e999999999
        raise MoneyError("amount too large")
    places = exponent(currency)
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"more than {places} decimal places")
    return int(scaled)


def from_minor(minor: int, currency: str = "840") -> Decimal:
    places = exponent(currency)
    return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def round_to_minor(amount: Decimal, currency: str = "840") -> int:
    """Half-up rounding to minor units, for computed amounts (tax, quantity x price)."""
    places = exponent(currency)
    return int(amount.scaleb(places).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(minor: int, rate: Decimal) -> int:
    """`rate` percent of an amount in minor units, rounded half-up."""
    return int((Decimal(minor) * rate / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


_ALPHA = {"840": "USD", "682": "SAR", "400": "JOD", "414": "KWD", "048": "BHD", "512": "OMR",
          "784": "AED", "356": "INR", "978": "EUR", "826": "GBP", "392": "JPY", "124": "CAD"}


def currency_label(currency: str) -> str:
    """`USD` for `840`; alphabetic codes pass through."""
    return _ALPHA.get(currency, currency.upper())
