"""Hostile and broken request bodies: always a 422 `<errors>` (never a 500), nothing written."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from harvest_support import Harvest, fields, freeze, invoice_xml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<payment><amount>1</amount><paid-at>2026-03-01</paid-at><notes>&lol9;</notes></payment>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE payment [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<payment><amount>1</amount><paid-at>2026-03-01</paid-at><notes>&xxe;</notes></payment>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE payment SYSTEM "http://127.0.0.1:9/evil.dtd">
<payment><amount>1</amount><paid-at>2026-03-01</paid-at></payment>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE payment [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<payment><amount>1</amount><paid-at>2026-03-01</paid-at></payment>"""

DTD_REFUSED = "XML documents with a DTD or entities are not accepted"


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD,
                                  PARAMETER_ENTITY])
@pytest.mark.parametrize("path", ["/invoices", "/invoices/{id}/payments",
                                  "/invoices/{id}/messages", "/invoices/{id}/messages/re_open"])
def test_entities_and_dtds_are_refused(account: Harvest, body: bytes, path: str) -> None:
    invoice_id = account.create_invoice()
    before = account.snapshot()
    response = account.post(path.format(id=invoice_id), body)
    assert response.status_code == 422
    assert fields(response.content) == {"error": DTD_REFUSED}
    assert b"root:" not in response.content
    assert account.snapshot() == before


def test_entities_in_an_update_are_refused(account: Harvest) -> None:
    invoice_id = account.create_invoice()
    before = account.snapshot()
    body = EXTERNAL_ENTITY.replace(b"payment", b"invoice")
    response = account.put(f"/invoices/{invoice_id}", body)
    assert response.status_code == 422
    assert account.snapshot() == before


@pytest.mark.parametrize(("body", "message"), [
    (b"<payment><amount>1</amount>", "Malformed XML: no element found: line 1, column 27"),
    (b"<payment><amount>1</payment>",
     "Malformed XML: mismatched tag: line 1, column 20"),
    (b"payment=1&amount=2", "Malformed XML: not well-formed (invalid token): line 1, column 7"),
    (b'{"payment": {"amount": 1', "Malformed JSON: Expecting ',' delimiter"),
    (b'{"payment": {"amount": NaN}}', "Malformed JSON: NaN is not allowed"),
    (b"[" * 100_000 + b"]" * 100_000, "Malformed JSON: nested too deeply"),
    (b"[1, 2]", "Expected a JSON object"),
    (b"\xff\xfe<\x00p\x00", "Request body is not valid UTF-8"),
    (b'<?xml version="1.0" encoding="ISO-8859-1"?><payment/>',
     "Unsupported XML encoding 'ISO-8859-1'; send UTF-8"),
    (b"<payment><amount>1</amount><paid-at>2026-03-01</paid-at><notes>\x00</notes></payment>",
     "Malformed XML: not well-formed (invalid token): line 1, column 63"),
    (b"<payment><amount>" + b"9" * 60 + b"</amount><paid-at>2026-03-01</paid-at></payment>",
     "Amount is too large"),
])
def test_malformed_bodies_are_422(account: Harvest, body: bytes, message: str) -> None:
    invoice_id = account.create_invoice()
    before = account.snapshot()
    response = account.post(f"/invoices/{invoice_id}/payments", body)
    assert response.status_code == 422
    error = fields(response.content)["error"]
    assert error is not None and error.startswith(message), error
    assert account.snapshot() == before


@pytest.fixture
def small(make_client: Callable[..., TestClient]) -> Iterator[Harvest]:
    http = make_client(max_body_bytes=2048)
    freeze(http)
    yield Harvest(http)


def test_oversized_bodies_are_refused(small: Harvest) -> None:
    invoice_id = small.create_invoice()
    before = small.snapshot()
    big = invoice_xml(notes="x" * 4000)
    for response in (small.post("/invoices", big),
                     small.put(f"/invoices/{invoice_id}", big, fmt="json"),
                     small.post(f"/invoices/{invoice_id}/messages/mark_as_sent",
                                big.replace(b"invoice>", b"invoice-message>"))):
        assert response.status_code == 422
        error = "Request body is too large (limit 2048 bytes)"
        if response.headers["content-type"].startswith("application/json"):
            assert response.json() == {"errors": [error]}
        else:
            assert fields(response.content) == {"error": error}
    # streamed without a Content-Length: refused as the bytes arrive
    streamed = small.http.post(f"/invoices/{invoice_id}/payments",
                               content=iter([b"<payment><notes>", b"y" * 4096, b"</notes>"]),
                               headers=small.headers)
    assert streamed.status_code == 422
    assert small.snapshot() == before


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(str.encode),
    st.builds(lambda inner: b"<payment>" + inner.encode() + b"</payment>", st.text(max_size=80)),
    st.builds(lambda inner: b'{"payment":' + inner.encode() + b"}", st.text(max_size=80)),
))
def test_fuzzed_bodies_never_fault(account: Harvest, junk: bytes) -> None:
    invoice_id = account.create_invoice()
    for path in (f"/invoices/{invoice_id}/payments", "/invoices",
                 f"/invoices/{invoice_id}/messages"):
        response = account.post(path, junk)
        assert response.status_code in (201, 404, 422), (path, junk, response.text)
    assert account.put(f"/invoices/{invoice_id}", junk).status_code in (200, 422)
