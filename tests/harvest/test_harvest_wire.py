"""Formats and error pages: content negotiation (Accept and `.xml`/`.json` suffixes), the
UTF-8 prolog, and Harvest's own 404/500 pages on every path it owns."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from harvest_support import DECL, JSON_CT, XML_CT, Harvest, basic_header, fields, invoice_xml
from invoice_sandbox.providers.harvest import service


def test_xml_is_the_default_and_accept_json_switches(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    for accept, expected in [
        (None, XML_CT), ("*/*", XML_CT), ("application/xml", XML_CT), ("text/xml", XML_CT),
        ("application/json", JSON_CT), ("application/json, text/javascript, */*; q=0.01",
                                        JSON_CT),
        ("application/json;q=0.5, application/xml", XML_CT), ("text/html", XML_CT),
    ]:
        headers = dict(hv.headers)
        if accept is not None:
            headers["Accept"] = accept
        response = hv.http.get(f"/invoices/{invoice_id}", headers=headers)
        assert response.headers["content-type"] == expected, accept
        if expected == XML_CT:
            assert response.content.startswith(DECL + b"<invoice>\n")
        else:
            assert response.content.startswith(b'{"invoice":{"amount":1000.0,')


@pytest.mark.parametrize(("path", "expected"), [
    ("/invoices.json", JSON_CT), ("/invoices.xml", XML_CT), ("/invoices/{id}.json", JSON_CT),
    ("/invoices/{id}.xml", XML_CT), ("/invoices/{id}/payments.json", JSON_CT),
    ("/invoices/{id}/messages.json", JSON_CT), ("/account/who_am_i.json", JSON_CT),
    ("/account/rate_limit_status.xml", XML_CT),
])
def test_suffix_beats_accept(hv: Harvest, path: str, expected: str) -> None:
    invoice_id = hv.create_invoice()
    accept = "application/xml" if expected == JSON_CT else "application/json"
    response = hv.get(path.format(id=invoice_id), headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == expected


def test_bodies_are_read_by_their_content_not_their_label(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    json_as_xml = hv.post(f"/invoices/{invoice_id}/payments",
                          b'{"payment":{"amount":"1","paid_at":"2026-03-01"}}',
                          headers={"Content-Type": "application/xml"})
    assert json_as_xml.status_code == 201
    xml_unlabelled = hv.post(f"/invoices/{invoice_id}/payments",
                             b"\n<?xml version=\"1.0\"?>\n<payment><amount>2</amount>"
                             b"<paid-at>2026-03-01</paid-at></payment>",
                             headers={"Content-Type": "text/plain"})
    assert xml_unlabelled.status_code == 201
    assert hv.invoice(invoice_id)["due_amount"] == 997.0


def test_json_list_shapes(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    hv.pay(invoice_id, "1")
    hv.send(invoice_id)
    invoices = hv.get("/invoices.json").json()
    payments = hv.get(f"/invoices/{invoice_id}/payments.json").json()
    messages = hv.get(f"/invoices/{invoice_id}/messages.json").json()
    assert [list(x) for x in invoices] == [["invoices"]]
    assert [list(x) for x in payments] == [["payment"]]
    assert [list(x) for x in messages] == [["message"]]  # the root the `harvested` gem reads
    shown = hv.get(f"/invoices/{invoice_id}.json").json()
    assert list(shown) == ["invoice"]
    assert shown["invoice"]["due_amount"] == 999.0  # a JSON number, not a string


def test_non_ascii_text_is_utf8_in_xml_and_escaped_in_json(hv: Harvest) -> None:
    invoice_id = hv.create_invoice(invoice_xml(subject="Café ✓ &lt;&amp;&gt;"))
    xml = hv.get(f"/invoices/{invoice_id}").content
    assert "<subject>Café ✓ &lt;&amp;&gt;</subject>".encode() in xml
    assert fields(xml)["subject"] == "Café ✓ <&>"
    raw = hv.get(f"/invoices/{invoice_id}.json").content
    assert b'"subject":"Caf\\u00e9 \\u2713 <&>"' in raw


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/invoices/1/unknown"), ("GET", "/account/unknown"), ("PATCH", "/invoices/1"),
    ("GET", "/invoices.pdf"), ("GET", "/invoices/1.pdf"), ("GET", "/invoice/1"),
    ("POST", "/account/who_am_i"), ("GET", "/invoices/%F0%9F%98%80"),
    ("GET", "/invoices/99999999999999999999999"), ("GET", "/invoices/-1"),
    ("GET", "/invoices/1.json/payments"),
])
def test_unknown_paths_and_ids_are_the_html_404(hv: Harvest, method: str, path: str) -> None:
    hv.create_invoice()
    response = hv.call(method, path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert b"<title>HARVEST: Can't find page</title>" in response.content
    assert b"detail" not in response.content


def test_server_fault_is_the_html_500_and_writes_nothing(hv: Harvest,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    hv.create_invoice()
    before = hv.snapshot()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service, "record_payment", broken)
    invoice_id = next(iter(before))
    response = hv.post(f"/invoices/{invoice_id}/payments",
                       b"<payment><amount>1</amount><paid-at>2026-03-01</paid-at></payment>")
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert b"We're sorry, but something went wrong." in response.content
    assert b"disk on fire" not in response.content
    monkeypatch.undo()
    assert hv.snapshot() == before


def test_who_am_i_bytes_for_a_host_account(client: TestClient) -> None:
    headers = {**basic_header("jane@acme.example", "pw"), "Host": "acme.localhost:8080"}
    response = client.get("/account/who_am_i", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == XML_CT
    assert response.content == DECL + b"""<hash>
  <company>
    <base-uri>http://acme.localhost:8080</base-uri>
    <full-domain>acme.localhost:8080</full-domain>
    <name>acme (sandbox)</name>
    <active type="boolean">true</active>
    <week-start-day>Monday</week-start-day>
    <time-format>decimal</time-format>
    <clock>12h</clock>
    <decimal-symbol>.</decimal-symbol>
    <color-scheme>orange</color-scheme>
    <modules>
      <expenses type="boolean">true</expenses>
      <invoices type="boolean">true</invoices>
      <estimates type="boolean">true</estimates>
      <approval type="boolean">false</approval>
    </modules>
    <thousands-separator>,</thousands-separator>
  </company>
  <user>
    <timezone>UTC</timezone>
    <timezone-utc-offset type="integer">0</timezone-utc-offset>
    <id type="integer">10000101</id>
    <email>jane@acme.example</email>
    <admin type="boolean">true</admin>
    <first-name>jane</first-name>
    <last-name></last-name>
    <project-manager>
      <is-project-manager type="boolean">true</is-project-manager>
      <can-see-rates type="boolean">true</can-see-rates>
      <can-create-projects type="boolean">true</can-create-projects>
      <can-create-invoices type="boolean">true</can-create-invoices>
    </project-manager>
    <timestamp-timers type="boolean">false</timestamp-timers>
  </user>
</hash>
"""
    as_json = client.get("/account/who_am_i.json", headers=headers).json()
    assert list(as_json) == ["company", "user"]  # a Rails hash: not root-wrapped
    assert as_json["company"]["modules"]["invoices"] is True
    assert as_json["user"]["email"] == "jane@acme.example"


def test_rate_limit_status_bytes(hv: Harvest) -> None:
    hv.get("/invoices")
    response = hv.get("/account/rate_limit_status")
    assert response.content == DECL + b"""<hash>
  <last-access-at type="datetime">2026-03-02T10:30:00Z</last-access-at>
  <count type="integer">2</count>
  <timeframe-limit type="integer">15</timeframe-limit>
  <max-calls type="integer">100</max-calls>
  <lockout-seconds type="integer">0</lockout-seconds>
</hash>
"""
    assert hv.get("/account/rate_limit_status.json").json() == {
        "last_access_at": "2026-03-02T10:30:00Z", "count": 3, "timeframe_limit": 15,
        "max_calls": 100, "lockout_seconds": 0}
