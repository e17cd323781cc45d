"""`csv-line-items`: parsing, rendering, and the invoice amounts computed from the lines.

Amounts (minor units): each line is quantity x unit_price; the discount percentage comes off
the subtotal; `tax` and `tax2` percentages apply to the discounted sum of the lines marked
`taxed` / `taxed2`; amount = subtotal - discount + tax + tax2. Every step rounds half-up.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ...core import money
from . import codec
from .errors import Invalid

HEADER = ("kind", "description", "quantity", "unit_price", "amount", "taxed", "taxed2",
          "project_id")
MAX_LINES = 1000
MAX_AMOUNT_MINOR = 10**15  # keeps every sum far inside a signed 64-bit column
_MAX_LINE_MAJOR = Decimal(10) ** 12
_FIELD = "Csv line items"


@dataclass(frozen=True)
class Totals:
    subtotal: int
    discount_amount: int
    tax_amount: int
    tax2_amount: int

    @property
    def amount(self) -> int:
        return self.subtotal - self.discount_amount + self.tax_amount + self.tax2_amount


def _flag(text: str, line: int, name: str) -> bool:
    value = text.strip().lower()
    if value in ("", "false", "0", "no"):
        return False
    if value in ("true", "1", "yes"):
        return True
    raise Invalid(f"{_FIELD} line {line}: {name} must be true or false")


def _number(text: str, line: int, name: str) -> Decimal:
    try:
        return codec.parse_decimal(text, name)
    except codec.CodecError as exc:
        raise Invalid(f"{_FIELD} line {line}: {exc.message}") from None


def _rows(text: str) -> list[list[str]]:
    # Lines usually arrive indented inside the XML element; the indentation is not data.
    cleaned = "\n".join(line.strip() for line in text.strip().splitlines())
    try:
        return [row for row in csv.reader(io.StringIO(cleaned), skipinitialspace=True)
                if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise Invalid(f"{_FIELD} is not valid CSV: {exc}") from None


def parse(text: str, currency: str) -> list[dict[str, Any]]:
    """Line dicts as stored in the invoice's attrs; raises Invalid with a Rails-style message."""
    rows = _rows(text)
    if not rows:
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    if any(name not in header for name in HEADER):
        raise Invalid(f"{_FIELD} must start with the header {','.join(HEADER)}")
    if len(rows) - 1 > MAX_LINES:
        raise Invalid(f"{_FIELD} has too many lines (maximum is {MAX_LINES})")
    lines = []
    for number, row in enumerate(rows[1:], start=1):
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
            raise Invalid(f"{_FIELD} line {number} has more fields than the header "
                          f"(quote descriptions that contain commas)")
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        lines.append(_line(cells, number, currency))
    return lines


def _line(cells: dict[str, str], number: int, currency: str) -> dict[str, Any]:
    quantity_text, price_text = cells["quantity"], cells["unit_price"]
    if not quantity_text and not price_text and cells["amount"]:
        quantity_text, price_text = "1", cells["amount"]  # an amount-only line
    quantity = _number(quantity_text or "0", number, "quantity")
    price = _number(price_text or "0", number, "unit_price")
    product = quantity * price
    # Checked before rounding: a huge product would not even fit Decimal's working precision.
    if abs(product) >= _MAX_LINE_MAJOR:
        raise Invalid(f"{_FIELD} line {number}: Amount is too large")
    amount = money.round_to_minor(product, currency)
    return {
        "kind": cells["kind"],
        "description": cells["description"],
        "quantity": str(quantity),
        "unit_price": str(price),
        "amount_minor": amount,
        "taxed": _flag(cells["taxed"], number, "Taxed"),
        "taxed2": _flag(cells["taxed2"], number, "Taxed2"),
        "project_id": cells["project_id"],
    }


def _percent_of(base: int, *rates: Decimal) -> int:
    value = Decimal(base)
    for rate in rates:
        value = value * rate / 100
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def totals(lines: list[dict[str, Any]], tax: Decimal | None, tax2: Decimal | None,
           discount: Decimal | None) -> Totals:
    subtotal = sum(int(line["amount_minor"]) for line in lines)
    keep = 100 - (discount or Decimal(0))
    taxed = sum(int(line["amount_minor"]) for line in lines if line["taxed"])
    taxed2 = sum(int(line["amount_minor"]) for line in lines if line["taxed2"])
    result = Totals(
        subtotal=subtotal,
        discount_amount=_percent_of(subtotal, discount) if discount else 0,
        tax_amount=_percent_of(taxed, keep, tax) if tax else 0,
        tax2_amount=_percent_of(taxed2, keep, tax2) if tax2 else 0,
    )
    if abs(result.amount) >= MAX_AMOUNT_MINOR:
        raise Invalid("Amount is too large")
    return result


def _two_places(text: str) -> str:
    value = Decimal(text)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return str(value.quantize(Decimal("0.01")))
    return str(value)


def _cell(value: str | None) -> str:
    """One field as Ruby's CSV wrote it: nil empty, an empty string `""`, quotes doubled."""
    if value is None:
        return ""
    if value == "" or any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def render(lines: list[dict[str, Any]], currency: str) -> str:
    """The CSV Harvest showed: header first, quantity and unit price with two decimals."""
    if not lines:
        return ""
    rows = [",".join(HEADER)]
    for line in lines:
        project = line["project_id"]
        rows.append(",".join(_cell(value) for value in (
            line["kind"], line["description"], _two_places(line["quantity"]),
            _two_places(line["unit_price"]),
            codec.format_decimal(money.from_minor(int(line["amount_minor"]), currency)),
            "true" if line["taxed"] else "false", "true" if line["taxed2"] else "false",
            str(project) if project not in (None, "") else None,  # no project: nil
        )))
    return "\n".join(rows) + "\n"
