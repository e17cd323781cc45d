"""Numbers as clients write them: ASCII digits only, bounded in length, exponent and precision.

`str.isdigit()`, `int()` and `Decimal()` accept any Unicode digit (`²`, `١`, fullwidth `４`) and
underscores (`1_000`); `Decimal()` also reads `NaN` and `Infinity`, and raises
`decimal.InvalidOperation` (not a ValueError) for exponents beyond its range. Every number the
sandbox reads from a request goes through here, so a client's number is either what it says in
plain ASCII or a `NumberError` its provider reports in its own shape.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

# Longest number literal accepted: far longer than any amount, id or timestamp a client sends.
MAX_LITERAL = 100
# Significant digits a decimal may carry: Decimal's default precision, so arithmetic on an
# accepted number is exact instead of silently rounded.
MAX_DIGITS = 28
# Largest |adjusted exponent|: every accepted decimal fits an IEEE double (RFC 8259 section 6).
MAX_EXPONENT = 307

_WHOLE = re.compile(r"[0-9]+", re.ASCII)
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


class NumberError(ValueError):
    """Not a number in ASCII notation, or one outside the bounds above."""


def is_digits(text: str) -> bool:
    """ASCII digits only (`str.isdigit()` is also true for `²` and `١`)."""
    return bool(_WHOLE.fullmatch(text))


def _literal(text: str, pattern: re.Pattern[str], kind: str) -> str:
    if len(text) > MAX_LITERAL:
        raise NumberError(f"is longer than {MAX_LITERAL} characters")
    if not pattern.fullmatch(text):
        raise NumberError(f"is not {kind}")
    return text


def whole(text: str, low: int = 0, high: int = 2**63 - 1) -> int:
    """A whole number in `low..high` written with ASCII digits only (no sign, no spaces)."""
    value = int(_literal(text, _WHOLE, "a whole number"))
    if not low <= value <= high:
        raise NumberError(f"is not between {low} and {high}")
    return value


def integer(text: str, low: int = -(2**63), high: int = 2**63 - 1) -> int:
    """An optionally signed whole number in `low..high` (64-bit by default)."""
    value = int(_literal(text, _INTEGER, "a whole number"))
    if not low <= value <= high:
        raise NumberError("is out of range")
    return value


def decimal(text: str) -> Decimal:
    """An exact Decimal from plain or exponent notation; never NaN or Infinity."""
    _literal(text, _DECIMAL, "a number")
    _, _, exponent = text.lower().partition("e")
    # Decimal() itself raises InvalidOperation for exponents past 10**18; nine digits is far
    # beyond MAX_EXPONENT (checked below on the value) and far below that.
    if len(exponent.lstrip("+-").lstrip("0")) > 9:
        raise NumberError("is out of range")
    return bounded(Decimal(text))


def bounded(value: Decimal) -> Decimal:
    """`value` itself, if it is finite and within MAX_DIGITS and MAX_EXPONENT."""
    if not value.is_finite():
        raise NumberError("is not a finite number")
    if not value:
        return value
    # as_tuple and adjusted need no context, so they cannot overflow or round.
    digits = "".join(map(str, value.as_tuple().digits)).strip("0")
    if len(digits) > MAX_DIGITS:
        raise NumberError(f"has more than {MAX_DIGITS} significant digits")
    if abs(value.adjusted()) > MAX_EXPONENT:
        raise NumberError("is out of range")
    return value


def _json_int(text: str) -> int:
    return int(_literal(text, _INTEGER, "a whole number"))


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_exact(raw: bytes | str) -> Any:
    """JSON with fractions as exact, bounded Decimals. A number out of bounds raises
    NumberError; malformed JSON (NaN and Infinity included) ValueError; nesting too deep
    RecursionError."""
    return json.loads(raw, parse_float=decimal, parse_int=_json_int,
                      parse_constant=_json_constant)
