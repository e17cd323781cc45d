"""Byte-level tests for the Harvest v1 wire codec (Rails to_xml / to_json, safe body parsing)."""

from __future__ import annotations

import contextlib
import json
import random
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from invoice_sandbox.providers.harvest.codec import (
    CodecError,
    Nil,
    Record,
    Value,
    format_decimal,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
    parse_json_record,
    parse_xml_record,
    rails_order,
    render_errors_json,
    render_errors_xml,
    render_json,
    render_json_list,
    render_xml,
    render_xml_list,
)

LIMIT = 64 * 1024


def seed_payment(**overrides: Value) -> Record:
    """The seed document's payment (harvest.md field list), deliberately out of order."""
    fields: dict[str, Value] = {
        "updated_at": datetime(2008, 4, 9, 12, 7, 56, tzinfo=UTC),
        "recorded_by_email": "happy@owner.com",
        "id": 54664,
        "payment_gateway_id": Nil("integer"),
        "notes": "Finally.",
        "amount": Decimal("52000"),
        "pay_pal_transaction_id": Nil(),
        "paid_at": datetime(2008, 2, 14, tzinfo=UTC),
        "created_at": datetime(2008, 4, 9, 12, 7, 56, tzinfo=UTC),
        "authorization": Nil("string"),
        "invoice_id": 2393,
        "recorded_by": "Happy Owner",
    }
    fields.update(overrides)
    return rails_order(fields.items())


SEED_PAYMENT_BODY = (
    b"  <payment>\n"
    b'    <amount type="decimal">52000.0</amount>\n'
    b'    <authorization nil="true"></authorization>\n'
    b'    <created-at type="datetime">2008-04-09T12:07:56Z</created-at>\n'
    b'    <id type="integer">54664</id>\n'
    b'    <invoice-id type="integer">2393</invoice-id>\n'
    b"    <notes>Finally.</notes>\n"
    b'    <paid-at type="datetime">2008-02-14T00:00:00Z</paid-at>\n'
    b'    <pay-pal-transaction-id nil="true"></pay-pal-transaction-id>\n'
    b'    <payment-gateway-id type="integer" nil="true"></payment-gateway-id>\n'
    b"    <recorded-by>Happy Owner</recorded-by>\n"
    b"    <recorded-by-email>happy@owner.com</recorded-by-email>\n"
    b'    <updated-at type="datetime">2008-04-09T12:07:56Z</updated-at>\n'
    b"  </payment>\n"
)
DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def dedent2(block: bytes) -> bytes:
    return b"".join(line[2:] for line in block.splitlines(keepends=True))


# ------------------------------------------------------------------------------------------
# XML rendering


def test_payment_record_bytes() -> None:
    assert render_xml("payment", seed_payment()) == DECL + dedent2(SEED_PAYMENT_BODY)


def test_payment_list_bytes() -> None:
    expected = DECL + b'<payments type="array">\n' + SEED_PAYMENT_BODY + b"</payments>\n"
    assert render_xml_list("payments", "payment", [seed_payment()]) == expected


def test_two_item_list_bytes() -> None:
    one: Record = [("id", 1)]
    two: Record = [("id", 2)]
    assert render_xml_list("invoice_message", "invoice_message", [one, two]) == (
        DECL + b'<invoice-message type="array">\n'
        b"  <invoice-message>\n"
        b'    <id type="integer">1</id>\n'
        b"  </invoice-message>\n"
        b"  <invoice-message>\n"
        b'    <id type="integer">2</id>\n'
        b"  </invoice-message>\n"
        b"</invoice-message>\n"
    )


def test_empty_list_is_nil_classes() -> None:
    expected = DECL + b'<nil-classes type="array"/>\n'
    assert render_xml_list("payments", "payment", []) == expected
    assert render_xml_list("invoices", "invoice", []) == expected


def test_rails_order_puts_tax2_before_tax() -> None:
    fields: Record = [
        ("tax_amount", Decimal("1")),
        ("tax", Decimal("10")),
        ("tax2_amount", Decimal("2")),
        ("tax2", Nil("decimal")),
        ("subject", "x"),
        ("updated_at", datetime(2012, 11, 30, 2, 40, 31, tzinfo=UTC)),
    ]
    names = [name for name, _ in rails_order(fields)]
    assert names == ["subject", "tax", "tax2", "tax2_amount", "tax_amount", "updated_at"]
    body = render_xml("invoice", rails_order(fields))
    assert body.index(b"<tax2-amount") < body.index(b"<tax-amount")
    assert b'  <tax2 type="decimal" nil="true"></tax2>\n' in body
    assert b'  <updated-at type="datetime">2012-11-30T02:40:31Z</updated-at>\n' in body


def test_rails_order_of_the_payment_fields() -> None:
    names = [name for name, _ in seed_payment()]
    assert names == [
        "amount", "authorization", "created_at", "id", "invoice_id", "notes", "paid_at",
        "pay_pal_transaction_id", "payment_gateway_id", "recorded_by", "recorded_by_email",
        "updated_at",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("value", "line"),
    [
        (7, b'<x type="integer">7</x>'),
        (-7, b'<x type="integer">-7</x>'),
        (True, b'<x type="boolean">true</x>'),
        (False, b'<x type="boolean">false</x>'),
        (Decimal("52000"), b'<x type="decimal">52000.0</x>'),
        (Decimal("1238.00"), b'<x type="decimal">1238.0</x>'),
        (Decimal("12.50"), b'<x type="decimal">12.5</x>'),
        (Decimal("0"), b'<x type="decimal">0.0</x>'),
        (Decimal("-0.00"), b'<x type="decimal">0.0</x>'),
        (Decimal("-3.25"), b'<x type="decimal">-3.25</x>'),
        (Decimal("5.2E+4"), b'<x type="decimal">52000.0</x>'),
        (Decimal("1E-7"), b'<x type="decimal">0.0000001</x>'),
        (date(2014, 1, 11), b'<x type="date">2014-01-11</x>'),
        (datetime(2012, 11, 30, 2, 40, 31, 999999, tzinfo=UTC),
         b'<x type="datetime">2012-11-30T02:40:31Z</x>'),
        (datetime(2012, 11, 30, 5, 40, 31, tzinfo=timezone(timedelta(hours=3))),
         b'<x type="datetime">2012-11-30T02:40:31Z</x>'),
        (datetime(2012, 11, 30, 2, 40, 31), b'<x type="datetime">2012-11-30T02:40:31Z</x>'),
        ("", b"<x></x>"),
        ("plain", b"<x>plain</x>"),
        (Nil("integer"), b'<x type="integer" nil="true"></x>'),
        (Nil("decimal"), b'<x type="decimal" nil="true"></x>'),
        (Nil("date"), b'<x type="date" nil="true"></x>'),
        (Nil("datetime"), b'<x type="datetime" nil="true"></x>'),
        (Nil("boolean"), b'<x type="boolean" nil="true"></x>'),
        (Nil("string"), b'<x nil="true"></x>'),
    ],
)  # fmt: skip
def test_typed_values(value: Value, line: bytes) -> None:
    assert render_xml("r", [("x", value)]) == DECL + b"<r>\n  " + line + b"\n</r>\n"


def test_escaping() -> None:
    body = render_xml("r", [("notes", "Tom & Jerry <b>\"hi\"</b> 'x' > y")])
    assert body == (
        DECL + b"<r>\n  <notes>Tom &amp; Jerry &lt;b&gt;\"hi\"&lt;/b&gt; 'x' &gt; y</notes>\n</r>\n"
    )
    assert parse_xml_record(body, "r", LIMIT) == {"notes": "Tom & Jerry <b>\"hi\"</b> 'x' > y"}


def test_non_ascii_is_utf8_and_control_chars_become_stars() -> None:
    body = render_xml("r", [("notes", "Café ✓ 😀\x00\x1b\ufffe")])
    assert body == DECL + "<r>\n  <notes>Café ✓ 😀***</notes>\n</r>\n".encode()
    assert parse_xml_record(body, "r", LIMIT)["notes"] == "Café ✓ 😀***"


def test_nested_record() -> None:
    modules: Record = [("invoices", True)]
    company: Record = [("name", "Acme"), ("modules", modules)]
    assert render_xml("hash", [("company", company)]) == (
        DECL + b"<hash>\n"
        b"  <company>\n"
        b"    <name>Acme</name>\n"
        b"    <modules>\n"
        b'      <invoices type="boolean">true</invoices>\n'
        b"    </modules>\n"
        b"  </company>\n"
        b"</hash>\n"
    )


def test_empty_record() -> None:
    assert render_xml("payment", []) == DECL + b"<payment>\n</payment>\n"


def test_refuses_float_none_and_bad_names() -> None:
    with pytest.raises(TypeError):
        render_xml("r", [("x", 1.5)])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        render_xml("r", [("x", None)])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        render_json("r", [("x", 1.5)])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        render_xml("r", [("bad name", 1)])
    with pytest.raises(ValueError):
        render_xml("r", [("x", Decimal("NaN"))])
    with pytest.raises(ValueError):
        Nil("float")  # type: ignore[arg-type]


def test_errors_xml() -> None:
    assert render_errors_xml(["Amount can't be blank", "Paid at <is> & bad"]) == (
        DECL + b"<errors>\n"
        b"  <error>Amount can't be blank</error>\n"
        b"  <error>Paid at &lt;is&gt; &amp; bad</error>\n"
        b"</errors>\n"
    )
    assert render_errors_xml([]) == DECL + b"<errors>\n</errors>\n"


# ------------------------------------------------------------------------------------------
# JSON rendering


def test_payment_json_bytes() -> None:
    assert render_json("payment", seed_payment()) == (
        b'{"payment":{"amount":52000.0,"authorization":null,'
        b'"created_at":"2008-04-09T12:07:56Z","id":54664,"invoice_id":2393,"notes":"Finally.",'
        b'"paid_at":"2008-02-14T00:00:00Z","pay_pal_transaction_id":null,'
        b'"payment_gateway_id":null,"recorded_by":"Happy Owner",'
        b'"recorded_by_email":"happy@owner.com","updated_at":"2008-04-09T12:07:56Z"}}'
    )


def test_json_types_and_lists() -> None:
    rec: Record = [
        ("due_at", date(2014, 1, 11)),
        ("sent", False),
        ("tax", Decimal("12.50")),
        ("notes", 'é "q"'),
        ("modules", [("invoices", True)]),
    ]
    item = (
        b'{"invoices":{"due_at":"2014-01-11","sent":false,"tax":12.5,'
        b'"notes":"\\u00e9 \\"q\\"","modules":{"invoices":true}}}'
    )
    assert render_json_list("invoices", [rec, rec]) == b"[" + item + b"," + item + b"]"
    assert render_json_list("payment", []) == b"[]"
    assert render_json("invoice_message", [("id", 1)]) == b'{"invoice_message":{"id":1}}'
    assert json.loads(render_json_list("invoices", [rec]))[0]["invoices"]["tax"] == 12.5


def test_errors_json() -> None:
    assert render_errors_json(["Amount can't be blank"]) == b'{"errors":["Amount can\'t be blank"]}'
    assert render_errors_json([]) == b'{"errors":[]}'


# ------------------------------------------------------------------------------------------
# XML parsing


SEED_POST = b"""<payment>
  <!-- required -->
  <paid-at type="datetime">2008-02-14T00:00:00Z</paid-at>
  <!-- required -->
  <amount type="decimal">52000.0</amount>
  <notes>Some optional notes go here</notes>
</payment>"""


def test_parse_seed_post_body_with_comments() -> None:
    assert parse_xml_record(SEED_POST, "payment", LIMIT) == {
        "paid_at": "2008-02-14T00:00:00Z",
        "amount": "52000.0",
        "notes": "Some optional notes go here",
    }


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0" encoding="UTF-8"?>\n<payment><amount type="decimal">5.0</amount>'
        b'<paid-at type="datetime">2008-02-14T00:00:00Z</paid-at></payment>',
        b"<payment><paid-at>2008-02-14T00:00:00Z</paid-at><amount>5.0</amount></payment>",
        b"\n<?xml version='1.0' encoding='utf-8'?><payment>\n<amount>5.0</amount>\n"
        b"<paid_at>2008-02-14T00:00:00Z</paid_at></payment>\n",
        b"\xef\xbb\xbf<payment><amount type='string'>5.0</amount>"
        b"<paid-at>2008-02-14T00:00:00Z</paid-at></payment>",
    ],
)
def test_parse_with_or_without_types_any_order(body: bytes) -> None:
    assert parse_xml_record(body, "payment", LIMIT) == {
        "amount": "5.0",
        "paid_at": "2008-02-14T00:00:00Z",
    }


def test_parse_nil_empty_nested_and_duplicates() -> None:
    body = (
        b'<invoice-message><notes nil="true">ignored</notes><subject></subject>'
        b"<recipients>a@b.c, d@e.f</recipients><nested><x>1</x></nested>"
        b"<number>1</number><number>2</number></invoice-message>"
    )
    assert parse_xml_record(body, "invoice_message", LIMIT) == {
        "notes": None,
        "subject": "",
        "recipients": "a@b.c, d@e.f",
        "number": "2",
    }


def test_parse_keeps_whitespace_and_multiline_text() -> None:
    csv = "kind,description\nService,Work & play\n"
    body = render_xml("invoice", [("csv_line_items", csv), ("subject", "  padded ")])
    assert parse_xml_record(body, "invoice", LIMIT) == {
        "csv_line_items": csv,
        "subject": "  padded ",
    }


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<payment><notes>&lol9;</notes></payment>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE payment [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<payment><notes>&xxe;</notes><amount>1.0</amount></payment>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE payment [<!ENTITY % ext SYSTEM "http://127.0.0.1:1/evil.dtd"> %ext;]>
<payment><amount>1.0</amount></payment>"""


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (BILLION_LAUGHS, "DTD"),
        (XXE, "DTD"),
        (PARAMETER_ENTITY, "DTD"),
        (b"<!DOCTYPE payment><payment><amount>1.0</amount></payment>", "DTD"),
        (b"<payment><notes>&undefined;</notes></payment>", "Malformed XML"),
        (b"<payment><amount>1.0</payment>", "Malformed XML"),
        (b"<payment><amount>1.0</amount>", "Malformed XML"),
        (b"<payment></payment><payment></payment>", "Malformed XML"),
        (b"amount=1.0&paid_at=2008-02-14", "Malformed XML"),
        (b"", "empty"),
        (b"  \n ", "empty"),
        (b"<invoice><amount>1.0</amount></invoice>", "Expected a <payment> element"),
        (b"<payments><payment/></payments>", "Expected a <payment> element"),
        (b"<payment><notes>caf\xe9</notes></payment>", "UTF-8"),
        ("<payment/>".encode("utf-16"), "UTF-8"),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><payment/>', "encoding"),
    ],
)
def test_parse_xml_rejects(body: bytes, fragment: str) -> None:
    with pytest.raises(CodecError) as info:
        parse_xml_record(body, "payment", LIMIT)
    assert fragment in str(info.value)
    assert info.value.message == str(info.value)
    assert "root:" not in str(info.value)  # no passwd contents or paths leak into messages


def test_parse_xml_oversized_body() -> None:
    body = b"<payment><notes>" + b"x" * 2000 + b"</notes></payment>"
    with pytest.raises(CodecError, match="too large"):
        parse_xml_record(body, "payment", 1024)
    assert parse_xml_record(body, "payment", len(body))["notes"] == "x" * 2000


def test_parse_deeply_nested_xml_is_bounded_by_size_not_recursion() -> None:
    body = b"<payment>" + b"<a>" * 5000 + b"</a>" * 5000 + b"<id>3</id></payment>"
    assert parse_xml_record(body, "payment", LIMIT) == {"id": "3"}


# ------------------------------------------------------------------------------------------
# JSON parsing


def test_parse_json_wrapped_and_bare() -> None:
    expected = {"amount": "52000.0", "paid_at": "2008-02-14T00:00:00Z", "notes": None}
    wrapped = b'{"payment":{"amount":52000.0,"paid_at":"2008-02-14T00:00:00Z","notes":null}}'
    bare = b'{"paid-at":"2008-02-14T00:00:00Z","amount":"52000.0","notes":null}'
    assert parse_json_record(wrapped, "payment", LIMIT) == expected
    assert parse_json_record(bare, "payment", LIMIT) == expected


def test_parse_json_keeps_number_text_and_converts_scalars() -> None:
    body = (
        b'{"invoice":{"tax":0.1,"client_id":12345678901234567890123,"draft":true,'
        b'"sent":false,"lines":[1,2],"meta":{"a":1},"subject":"x"}}'
    )
    assert parse_json_record(body, "invoice", LIMIT) == {
        "tax": "0.1",
        "client_id": "12345678901234567890123",
        "draft": "true",
        "sent": "false",
        "subject": "x",
    }


def test_parse_json_root_with_extra_keys() -> None:
    body = b'{"format":"json","payment":{"amount":"1.0"}}'
    assert parse_json_record(body, "payment", LIMIT) == {"amount": "1.0"}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b'{"amount": 1,}',
        b"[1, 2]",
        b'"payment"',
        b"null",
        b'{"amount": NaN}',
        b'{"amount": Infinity}',
        b'{"amount": -Infinity}',
        b'{"notes": "caf\xe9"}',
        b"[" * 100000 + b"]" * 100000,
    ],
)
def test_parse_json_rejects(body: bytes) -> None:
    with pytest.raises(CodecError):
        parse_json_record(body, "payment", 1024 * 1024)


def test_parse_json_oversized_body() -> None:
    with pytest.raises(CodecError, match="too large"):
        parse_json_record(b'{"notes":"' + b"x" * 100 + b'"}', "payment", 50)


# ------------------------------------------------------------------------------------------
# value parsers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("52000.0", Decimal("52000.0")),
        (" 12.5 ", Decimal("12.5")),
        ("-3", Decimal("-3")),
        ("+3.", Decimal("3")),
        (".5", Decimal("0.5")),
        ("0", Decimal("0")),
    ],
)
def test_parse_decimal_accepts(text: str, expected: Decimal) -> None:
    assert parse_decimal(text, "amount") == expected


@pytest.mark.parametrize(
    "text",
    ["NaN", "nan", "Infinity", "-inf", "1e3", "1E+3", "5.2E4", "1,000.00", "12.5.1", "abc",
     "0x10", "1_000", "٣", "--1", ".", "1" * 101],
)  # fmt: skip
def test_parse_decimal_rejects(text: str) -> None:
    with pytest.raises(CodecError, match=r"^Amount is not a number$"):
        parse_decimal(text, "amount")


@pytest.mark.parametrize("text", [None, "", "   "])
def test_blank_messages(text: str | None) -> None:
    with pytest.raises(CodecError, match=r"^Amount can't be blank$"):
        parse_decimal(text, "amount")
    with pytest.raises(CodecError, match=r"^Paid at can't be blank$"):
        parse_datetime(text)
    with pytest.raises(CodecError, match=r"^Client can't be blank$"):
        parse_int(text, "client_id")
    with pytest.raises(CodecError, match=r"^Issued at can't be blank$"):
        parse_date(text, "issued-at")
    with pytest.raises(CodecError, match=r"^Attach pdf can't be blank$"):
        parse_bool(text, "attach_pdf")


def test_parse_int() -> None:
    assert parse_int(" 42 ", "id") == 42
    assert parse_int("-7", "id") == -7
    assert parse_int("000123", "id") == 123
    assert parse_int("9" * 18, "id") == int("9" * 18)
    with pytest.raises(CodecError, match="^Client must be an integer$"):
        parse_int("1.5", "client_id")
    with pytest.raises(CodecError, match="^Client is not a number$"):
        parse_int("abc", "client_id")
    with pytest.raises(CodecError, match="^Client is out of range$"):
        parse_int("9" * 19, "client_id")
    with pytest.raises(CodecError):
        parse_int("١٢", "client_id")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("false", False), (" False ", False),
     ("0", False)],
)  # fmt: skip
def test_parse_bool(text: str, expected: bool) -> None:
    assert parse_bool(text, "attach_pdf") is expected


@pytest.mark.parametrize("text", ["yes", "no", "t", "2", "truee"])
def test_parse_bool_rejects(text: str) -> None:
    with pytest.raises(CodecError, match="^Attach pdf must be true or false$"):
        parse_bool(text, "attach_pdf")


def test_parse_date() -> None:
    assert parse_date("2014-01-01", "issued_at") == date(2014, 1, 1)
    assert parse_date("20140101", "from") == date(2014, 1, 1)
    for bad in ["2014-02-30", "20140230", "2014-1-1", "2014-0101", "01/01/2014", "2014-01-01x"]:
        with pytest.raises(CodecError, match="^Issued at is not a valid date$"):
            parse_date(bad, "issued_at")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2008-02-14T00:00:00Z", datetime(2008, 2, 14, tzinfo=UTC)),
        ("2008-02-14T00:00:00z", datetime(2008, 2, 14, tzinfo=UTC)),
        ("2008-02-14T03:00:00+0300", datetime(2008, 2, 14, tzinfo=UTC)),
        ("2008-02-14T03:00:00+03:00", datetime(2008, 2, 14, tzinfo=UTC)),
        ("2008-02-13T21:00:00-0300", datetime(2008, 2, 14, tzinfo=UTC)),
        ("2008-02-13T21:00:00-03:00", datetime(2008, 2, 14, tzinfo=UTC)),
        ("2008-02-14T05:30:00+05:30", datetime(2008, 2, 14, tzinfo=UTC)),
        ("2008-02-14T03:00:00+03", datetime(2008, 2, 14, tzinfo=UTC)),
        ("2008-02-14", datetime(2008, 2, 14, tzinfo=UTC)),
        ("20080214", datetime(2008, 2, 14, tzinfo=UTC)),
        ("2008-02-14T00:00:00", datetime(2008, 2, 14, tzinfo=UTC)),
        ("2008-02-14 00:00:00 UTC", datetime(2008, 2, 14, tzinfo=UTC)),
        ("2008-02-14T00:00:00.987Z", datetime(2008, 2, 14, tzinfo=UTC)),
        ("2008-02-14T12:07", datetime(2008, 2, 14, 12, 7, tzinfo=UTC)),
        (" 2008-02-14T00:00:00Z\n", datetime(2008, 2, 14, tzinfo=UTC)),
    ],
)
def test_parse_datetime_forms(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC
    assert parsed.microsecond == 0


@pytest.mark.parametrize(
    "text",
    ["2008-02-30T00:00:00Z", "2008-02-14T24:00:00Z", "2008-02-14T00:60:00Z",
     "2008-02-14T00:00:00+2400", "2008-02-14T00:00:00+0360", "0001-01-01T00:00:00+0100",
     "yesterday", "14/02/2008", "2008-02-14T", "2008-02-14Z", "1203379200"],
)  # fmt: skip
def test_parse_datetime_rejects(text: str) -> None:
    with pytest.raises(CodecError, match="^Paid at is not a valid datetime$"):
        parse_datetime(text)


def test_every_paid_at_form_through_an_xml_body() -> None:
    forms = ["2008-02-14T00:00:00Z", "2008-02-14T03:00:00+0300", "2008-02-13T21:00:00-03:00",
             "2008-02-14"]  # fmt: skip
    for form in forms:
        body = f"<payment><paid-at>{form}</paid-at><amount>1</amount></payment>".encode()
        fields = parse_xml_record(body, "payment", LIMIT)
        assert parse_datetime(fields["paid_at"]) == datetime(2008, 2, 14, tzinfo=UTC)


# ------------------------------------------------------------------------------------------
# round trips (Hypothesis)

NAMES = st.from_regex(r"[a-z][a-z0-9]{0,6}(_[a-z0-9]{1,5}){0,3}", fullmatch=True)
# XML 1.0 text that survives a parser unchanged: no control characters (Builder turns them into
# '*'), no CR (parsers normalise it to LF, as they did for Rails' output), no surrogates.
XML_TEXT = st.text(
    st.characters(
        blacklist_categories=("Cs", "Cc"),
        blacklist_characters="\ufffe\uffff",
    )
    | st.sampled_from("\n\t"),
    max_size=40,
)
DECIMALS = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), allow_nan=False, allow_infinity=False
)
DATETIMES = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
VALUES: st.SearchStrategy[Value] = st.one_of(
    st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1),
    st.booleans(),
    DECIMALS,
    st.dates(),
    DATETIMES,
    XML_TEXT,
    st.sampled_from(["integer", "decimal", "date", "datetime", "boolean", "string"]).map(
        Nil  # type: ignore[arg-type]
    ),
)
RECORDS = st.dictionaries(NAMES, VALUES, max_size=12).map(lambda d: rails_order(d.items()))


def decode_as(template: Value, text: str | None) -> object:
    """Parse wire text back with the parser matching the rendered value's type."""
    if isinstance(template, Nil):
        return None
    assert text is not None
    if isinstance(template, bool):
        return parse_bool(text, "f")
    if isinstance(template, int):
        return parse_int(text, "f")
    if isinstance(template, Decimal):
        return parse_decimal(text, "f")
    if isinstance(template, datetime):
        return parse_datetime(text, "f")
    if isinstance(template, date):
        return parse_date(text, "f")
    return text


def expected_of(value: Value) -> object:
    return None if isinstance(value, Nil) else value


@given(RECORDS)
def test_xml_round_trip(record: Record) -> None:
    parsed = parse_xml_record(render_xml("payment", record), "payment", 10**7)
    assert list(parsed) == [name for name, _ in record]
    for name, value in record:
        assert decode_as(value, parsed[name]) == expected_of(value)


@given(RECORDS)
def test_json_round_trip(record: Record) -> None:
    parsed = parse_json_record(render_json("payment", record), "payment", 10**7)
    assert list(parsed) == [name for name, _ in record]
    for name, value in record:
        assert decode_as(value, parsed[name]) == expected_of(value)


@given(st.lists(RECORDS, max_size=4))
def test_xml_list_is_well_formed(records: list[Record]) -> None:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(render_xml_list("payments", "payment", records))
    if records:
        assert root.tag == "payments" and len(root) == len(records)
    else:
        assert root.tag == "nil-classes" and len(root) == 0


@given(DECIMALS)
def test_decimal_text_is_plain_and_exact(value: Decimal) -> None:
    text = format_decimal(value)
    assert "e" not in text.lower() and "." in text and not text.endswith(".")
    assert not text.rstrip("0").endswith(".") or text.endswith(".0")
    assert Decimal(text) == value


@given(DATETIMES, st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59), st.booleans())
def test_datetime_offsets_round_trip(moment: datetime, minutes: int, colon: bool) -> None:
    local = moment.astimezone(timezone(timedelta(minutes=minutes)))
    sign = "-" if minutes < 0 else "+"
    hh, mm = divmod(abs(minutes), 60)
    zone = f"{sign}{hh:02d}:{mm:02d}" if colon else f"{sign}{hh:02d}{mm:02d}"
    assert parse_datetime(local.strftime("%Y-%m-%dT%H:%M:%S") + zone) == moment


def test_shuffled_fields_render_identically_after_rails_order() -> None:
    record = seed_payment()
    rng = random.Random(3)
    for _ in range(20):
        shuffled = record[:]
        rng.shuffle(shuffled)
        assert render_xml("payment", rails_order(shuffled)) == render_xml("payment", record)


@given(st.binary(max_size=200) | XML_TEXT.map(lambda t: ("<payment>" + t).encode()))
def test_junk_only_ever_raises_codec_error(junk: bytes) -> None:
    for parse in (parse_xml_record, parse_json_record):
        with contextlib.suppress(CodecError):
            parse(junk, "payment", LIMIT)
