"""Wire codec for Harvest's legacy v1 API: Rails ``to_xml``/``to_json`` bytes out, safe parsing in.

Pure functions only; the route layer decides status codes and headers.

Records are ordered lists of ``(underscored_name, value)`` pairs. Names are dasherized for XML
(``due_amount`` -> ``due-amount``) and kept underscored for JSON, as Rails did.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Literal, TypeAlias, get_args
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

__all__ = [
    "CodecError",
    "Nil",
    "NilKind",
    "Record",
    "Value",
    "format_datetime",
    "format_decimal",
    "parse_bool",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_int",
    "parse_json_record",
    "parse_xml_record",
    "rails_order",
    "render_errors_json",
    "render_errors_xml",
    "render_json",
    "render_json_list",
    "render_xml",
    "render_xml_list",
]

NilKind = Literal["integer", "decimal", "date", "datetime", "boolean", "string"]
_NIL_KINDS: frozenset[str] = frozenset(get_args(NilKind))


@dataclass(frozen=True, slots=True)
class Nil:
    """A null with the type Rails would have declared for the column (``type="integer"``)."""

    kind: NilKind = "string"

    def __post_init__(self) -> None:
        if self.kind not in _NIL_KINDS:
            raise ValueError(f"unknown nil kind {self.kind!r}")


# bool is checked before int (bool subclasses int); datetime before date (same reason).
Value: TypeAlias = "str | bool | int | Decimal | datetime | date | Nil | list[tuple[str, Value]]"
Record: TypeAlias = list[tuple[str, Value]]


class CodecError(ValueError):
    """Bad request body or field value; ``str(exc)`` is fit for an ``<error>`` element."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------------------------
# scalar formatting (shared by XML and JSON so both wires agree)


def format_decimal(value: Decimal) -> str:
    """Ruby ``BigDecimal#to_s`` ('F' format): ``52000.0``, ``12.5``, ``0.0``, never an exponent."""
    if not value.is_finite():
        raise ValueError(f"cannot render non-finite decimal {value!r}")
    if value.is_zero():
        return "0.0"  # also folds -0, which money never means
    # format 'f' is exact (no context rounding, unlike normalize()); then trim like Ruby does.
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0")
        if text.endswith("."):
            text += "0"
    else:
        text += ".0"
    return text


def format_datetime(value: datetime) -> str:
    """``2012-11-30T02:40:31Z``; naive values are taken as UTC, sub-seconds dropped like Rails."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z"
    )


def _format_date(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def rails_order(fields: Iterable[tuple[str, Value]]) -> Record:
    """Sort by underscored name, bytewise as Ruby does: ``tax2_amount`` before ``tax_amount``."""
    return sorted(fields, key=lambda pair: pair[0].encode("utf-8"))


def _dasherize(name: str) -> str:
    return name.replace("_", "-")


def _underscore(name: str) -> str:
    return name.replace("-", "_")


# --------------------------------------------------------------------------------------------
# XML rendering

_XML_DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_INDENT = "  "
# XML 1.0 Char production; Builder replaces anything outside it with '*' so output stays parseable.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")


def _escape_text(text: str) -> str:
    # Builder (Rails' XML writer) escapes only & < > in text; quotes stay literal.
    return _NOT_XML_CHAR.sub("*", text).translate(_TEXT_ESCAPES)


def _escape_attr(text: str) -> str:
    return _NOT_XML_CHAR.sub("*", text).translate(_ATTR_ESCAPES)


def _tag_name(name: str) -> str:
    # Names come from our own code, never from clients; a bad one is a programming error.
    if not _NAME_RE.match(name):
        raise ValueError(f"invalid element name {name!r}")
    return _dasherize(name)


def _scalar_xml(value: Value) -> tuple[str | None, str]:
    """(type attribute or None, escaped text) for a non-nil scalar."""
    if isinstance(value, bool):
        return "boolean", "true" if value else "false"
    if isinstance(value, int):
        return "integer", str(value)
    if isinstance(value, Decimal):
        return "decimal", format_decimal(value)
    if isinstance(value, datetime):
        return "datetime", format_datetime(value)
    if isinstance(value, date):
        return "date", _format_date(value)
    if isinstance(value, str):
        return None, _escape_text(value)
    # float and None are refused on purpose: money is exact and nulls must declare their type.
    raise TypeError(f"unsupported value {value!r} ({type(value).__name__})")


def _element(out: list[str], name: str, value: Value, depth: int) -> None:
    pad = _INDENT * depth
    tag = _tag_name(name)
    if isinstance(value, list):
        out.append(f"{pad}<{tag}>\n")
        for child_name, child_value in value:
            _element(out, child_name, child_value, depth + 1)
        out.append(f"{pad}</{tag}>\n")
        return
    if isinstance(value, Nil):
        type_attr = "" if value.kind == "string" else f' type="{_escape_attr(value.kind)}"'
        out.append(f'{pad}<{tag}{type_attr} nil="true"></{tag}>\n')
        return
    kind, text = _scalar_xml(value)
    type_attr = "" if kind is None else f' type="{kind}"'
    out.append(f"{pad}<{tag}{type_attr}>{text}</{tag}>\n")


def render_xml(root: str, fields: Record) -> bytes:
    """One record, e.g. ``<payment>``; fields are emitted in the order given."""
    out: list[str] = []
    _element(out, root, fields, 0)
    return _XML_DECL + "".join(out).encode("utf-8")


def render_xml_list(root: str, item_root: str, records: list[Record]) -> bytes:
    """``<payments type="array">`` of ``<payment>``; empty renders ``<nil-classes type="array"/>``.

    Rails names an empty array after the class of its (absent) first element, hence nil-classes.
    """
    if not records:
        return _XML_DECL + b'<nil-classes type="array"/>\n'
    tag = _tag_name(root)
    out: list[str] = [f'<{tag} type="array">\n']
    for record in records:
        _element(out, item_root, record, 1)
    out.append(f"</{tag}>\n")
    return _XML_DECL + "".join(out).encode("utf-8")


def render_errors_xml(messages: list[str]) -> bytes:
    """``<errors><error>Amount can't be blank</error></errors>`` (ActiveModel::Errors#to_xml)."""
    out = ["<errors>\n"]
    out.extend(f"{_INDENT}<error>{_escape_text(message)}</error>\n" for message in messages)
    out.append("</errors>\n")
    return _XML_DECL + "".join(out).encode("utf-8")


# --------------------------------------------------------------------------------------------
# JSON rendering (hand-assembled so Decimal is a JSON number without passing through float)


def _json_str(text: str) -> str:
    # ensure_ascii mirrors Rails 3, which emitted non-ASCII as \uXXXX escapes.
    return json.dumps(text, ensure_ascii=True)


def _json_value(value: Value) -> str:
    if isinstance(value, list):
        return _json_object(value)
    if isinstance(value, Nil):
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime):
        return _json_str(format_datetime(value))
    if isinstance(value, date):
        return _json_str(_format_date(value))
    if isinstance(value, str):
        return _json_str(value)
    raise TypeError(f"unsupported value {value!r} ({type(value).__name__})")


def _json_object(fields: Record) -> str:
    members = (f"{_json_str(name)}:{_json_value(value)}" for name, value in fields)
    return "{" + ",".join(members) + "}"


def _wrapped(root: str, fields: Record) -> str:
    return "{" + _json_str(_underscore(root)) + ":" + _json_object(fields) + "}"


def render_json(root: str, fields: Record) -> bytes:
    """``{"payment":{...}}`` with underscored names, compact like Rails' encoder."""
    return _wrapped(root, fields).encode("ascii")


def render_json_list(item_root: str, records: list[Record]) -> bytes:
    """``[{"payment":{...}},...]``; pass ``invoices`` for invoice list items, as Harvest did."""
    return ("[" + ",".join(_wrapped(item_root, r) for r in records) + "]").encode("ascii")


def render_errors_json(messages: list[str]) -> bytes:
    return ('{"errors":[' + ",".join(_json_str(m) for m in messages) + "]}").encode("ascii")


# --------------------------------------------------------------------------------------------
# request bodies

_XML_DECL_RE = re.compile(r"<\?xml\b[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']")
_UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})


def _decode_body(body: bytes, max_bytes: int) -> str:
    if len(body) > max_bytes:
        raise CodecError(f"Request body is too large (limit {max_bytes} bytes)")
    try:
        text = body.decode("utf-8-sig")  # a UTF-8 BOM is harmless; anything else is refused
    except UnicodeDecodeError as exc:
        raise CodecError("Request body is not valid UTF-8") from exc
    # Old clients sometimes send a newline before the declaration; expat would reject that.
    text = text.lstrip(" \t\r\n")
    if not text:
        raise CodecError("Request body is empty")
    return text


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]  # ignore a namespace if a client adds one


def parse_xml_record(body: bytes, expected_root: str, max_bytes: int) -> dict[str, str | None]:
    """Flat ``{underscored_name: text}`` of the root's children.

    ``nil="true"`` gives None, an empty element gives ``""``, ``type`` attributes are ignored,
    order does not matter, a repeated element keeps its last value, and elements that have child
    elements of their own are skipped (no request field in the v1 API is nested).
    DTDs are refused outright, which also rules out entity expansion and external entities.
    """
    text = _decode_body(body, max_bytes)
    declared = _XML_DECL_RE.match(text)
    if declared and declared.group(1).lower() not in _UTF8_NAMES:
        raise CodecError(f"Unsupported XML encoding {declared.group(1)!r}; send UTF-8")
    try:
        # A str is fed to expat as UTF-8 regardless of the declaration, which we checked above.
        root: Element = SafeET.fromstring(text, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise CodecError("XML documents with a DTD or entities are not accepted") from exc
    except ParseError as exc:
        raise CodecError(f"Malformed XML: {exc}") from exc
    if _underscore(_local_name(root.tag)) != _underscore(expected_root):
        raise CodecError(
            f"Expected a <{_dasherize(expected_root)}> element, got <{_local_name(root.tag)}>"
        )
    fields: dict[str, str | None] = {}
    for child in root:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions (not kept by the default builder)
        if len(child):
            continue
        name = _underscore(_local_name(child.tag))
        if child.get("nil", "").strip().lower() == "true":
            fields[name] = None
        else:
            fields[name] = child.text or ""
    return fields


def _reject_constant(name: str) -> object:
    raise CodecError(f"Malformed JSON: {name} is not allowed")


def _json_scalar(value: object) -> str | None:
    if value is None:
        return None
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def parse_json_record(body: bytes, expected_root: str, max_bytes: int) -> dict[str, str | None]:
    """Same shape as :func:`parse_xml_record`, from ``{"payment": {...}}`` or a bare ``{...}``.

    Numbers keep the exact text the client sent (no float on the way); nested objects and arrays
    are skipped, mirroring the XML parser.
    """
    text = _decode_body(body, max_bytes)
    try:
        data: object = json.loads(
            text, parse_float=str, parse_int=str, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as exc:
        raise CodecError(f"Malformed JSON: {exc.msg}") from exc
    except RecursionError as exc:
        raise CodecError("Malformed JSON: nested too deeply") from exc
    if not isinstance(data, dict):
        raise CodecError("Expected a JSON object")
    root = _underscore(expected_root)
    record: dict[str, object] = data
    for key, inner in data.items():
        if _underscore(key) == root and isinstance(inner, dict):
            record = inner
            break
    fields: dict[str, str | None] = {}
    for key, value in record.items():
        if isinstance(value, dict | list):
            continue
        fields[_underscore(key)] = _json_scalar(value)
    return fields


# --------------------------------------------------------------------------------------------
# field value parsers: messages follow Rails' full_messages ("Paid at is not a valid datetime")


def _human(field: str) -> str:
    """Rails ``humanize``: ``paid_at`` -> ``Paid at``, ``invoice_id`` -> ``Invoice``."""
    text = _underscore(field)
    if text.endswith("_id") and len(text) > 3:
        text = text[:-3]
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _present(text: str | None, field: str) -> str:
    if text is None or not text.strip():
        raise CodecError(f"{_human(field)} can't be blank")
    return text.strip()


_DECIMAL_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)\Z", re.ASCII)
_MAX_NUMBER_CHARS = 100  # bounds the Decimal work a client can ask for
_INT_RE = re.compile(r"[+-]?\d+\Z", re.ASCII)
_MAX_INT_DIGITS = 18  # fits a signed 64-bit database column


def parse_decimal(text: str | None, field: str) -> Decimal:
    """Plain decimal notation only: no exponent, NaN, Infinity, thousands separators."""
    raw = _present(text, field)
    if len(raw) > _MAX_NUMBER_CHARS or not _DECIMAL_RE.match(raw):
        raise CodecError(f"{_human(field)} is not a number")
    try:
        return Decimal(raw)
    except InvalidOperation as exc:  # unreachable after the regex, kept as a guard
        raise CodecError(f"{_human(field)} is not a number") from exc


def parse_int(text: str | None, field: str) -> int:
    raw = _present(text, field)
    if not _INT_RE.match(raw):
        if len(raw) <= _MAX_NUMBER_CHARS and _DECIMAL_RE.match(raw):
            raise CodecError(f"{_human(field)} must be an integer")
        raise CodecError(f"{_human(field)} is not a number")
    if len(raw.lstrip("+-").lstrip("0")) > _MAX_INT_DIGITS:
        raise CodecError(f"{_human(field)} is out of range")
    return int(raw)


_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


def parse_bool(text: str | None, field: str) -> bool:
    raw = _present(text, field).lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise CodecError(f"{_human(field)} must be true or false")


_DATE_RE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})\Z", re.ASCII)
_DATETIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<zone>[Zz]|UTC|[+-]\d{2}(?::?\d{2})?)?)?\Z",
    re.ASCII,
)


def _date_from_match(match: re.Match[str], field: str, what: str) -> date:
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError as exc:
        raise CodecError(f"{_human(field)} is not a valid {what}") from exc


def parse_date(text: str | None, field: str) -> date:
    """``YYYY-MM-DD`` or ``YYYYMMDD`` (the latter is what the invoice list filters use)."""
    raw = _present(text, field)
    match = _DATE_RE.match(raw)
    if match is None or (("-" in raw) and raw.count("-") != 2):
        raise CodecError(f"{_human(field)} is not a valid date")
    return _date_from_match(match, field, "date")


def _zone(spec: str | None) -> timezone:
    if spec is None or spec in ("Z", "z", "UTC"):
        return UTC  # Rails apps of the era ran with config.time_zone = UTC
    sign = -1 if spec[0] == "-" else 1
    digits = spec[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or "0")
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_datetime(text: str | None, field: str = "paid_at") -> datetime:
    """Aware UTC datetime from ``...Z``, ``...+0300``, ``...-03:00``, no zone (UTC), or a date.

    Fractional seconds are dropped: the wire cannot show them, so keeping them would make a
    stored value differ from what every later response says it is.
    """
    raw = _present(text, field)
    match = _DATETIME_RE.match(raw)
    if match is None:
        if _DATE_RE.match(raw) and "-" not in raw:
            return datetime.combine(parse_date(raw, field), datetime.min.time(), UTC)
        raise CodecError(f"{_human(field)} is not a valid datetime")
    day = _date_from_match(match, field, "datetime")
    hour, minute, second = (int(g or "0") for g in match.group(4, 5, 6))
    try:
        local = datetime(
            day.year, day.month, day.day, hour, minute, second, tzinfo=_zone(match["zone"])
        )
        return local.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise CodecError(f"{_human(field)} is not a valid datetime") from exc
