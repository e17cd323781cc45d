"""Invoices: create (amounts from the CSV lines), show, selective update, delete, and the list
with its paging and combinable filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from harvest_support import (
    CSV_HEADER,
    DECL,
    EMPTY_LIST,
    NOW,
    Harvest,
    fields,
    freeze,
    invoice_xml,
    records,
    tag_order,
)

# The free-form sample POST of the v1 Invoices documentation.
DOCS_SAMPLE = b"""<invoice>
  <due-at type="date">2008-02-06</due-at>
  <due-at-human-format>due upon receipt</due-at-human-format>
  <client-id type="integer">8</client-id>
  <currency>United States Dollars - USD</currency>
  <issued-at type="date">2008-02-06</issued-at>
  <subject>Your invoice subject goes here</subject>
  <notes>Some notes go here</notes>
  <number>82208</number>
  <kind>free_form</kind>
    <!-- Line items in CSV format -->
  <csv-line-items>
  kind,description,quantity,unit_price,amount,taxed,taxed2,project_id
  Service,Security support / Apply upgrades,0.68,80.00,54.4,true,false,3
  Service,Security support / Intrusion detection,0.57,80.00,45.6,true,false,3
  Service,Backend Programming / Forum admin,1.20,80.00,96.0,true,false,3
  </csv-line-items>
</invoice>"""

MIXED_LINES = "\n".join([
    "Service,Design,2,100.00,,true,false,",
    "Service,Build,3,50.00,,false,true,",
    'Product,"Fonts, licensed",1,33.33,,true,true,7',
])


def test_docs_sample_create_and_show_bytes(hv: Harvest) -> None:
    created = hv.post("/invoices", DOCS_SAMPLE)
    assert created.status_code == 201
    assert created.content == b""
    location = created.headers["Location"]
    invoice_id = int(location.removeprefix("/invoices/"))
    shown = hv.get(location)
    assert shown.status_code == 200
    key = fields(shown.content)["client-key"]
    assert key is not None and len(key) == 40
    assert shown.content == DECL + f"""<invoice>
  <amount type="decimal">196.0</amount>
  <client-id type="integer">8</client-id>
  <client-key>{key}</client-key>
  <created-at type="datetime">2026-03-02T10:30:00Z</created-at>
  <created-by-id type="integer">10000101</created-by-id>
  <currency>United States Dollars - USD</currency>
  <discount type="decimal" nil="true"></discount>
  <discount-amount type="decimal">0.0</discount-amount>
  <due-amount type="decimal">196.0</due-amount>
  <due-at type="date">2008-02-06</due-at>
  <due-at-human-format>upon receipt</due-at-human-format>
  <estimate-id type="integer" nil="true"></estimate-id>
  <id type="integer">{invoice_id}</id>
  <issued-at type="date">2008-02-06</issued-at>
  <notes>Some notes go here</notes>
  <number>82208</number>
  <period-end type="date" nil="true"></period-end>
  <period-start type="date" nil="true"></period-start>
  <purchase-order nil="true"></purchase-order>
  <recurring-invoice-id type="integer" nil="true"></recurring-invoice-id>
  <retainer-id type="integer" nil="true"></retainer-id>
  <state>draft</state>
  <subject>Your invoice subject goes here</subject>
  <tax type="decimal" nil="true"></tax>
  <tax2 type="decimal" nil="true"></tax2>
  <tax2-amount type="decimal">0.0</tax2-amount>
  <tax-amount type="decimal">0.0</tax-amount>
  <updated-at type="datetime">2026-03-02T10:30:00Z</updated-at>
  <csv-line-items>{CSV_HEADER}
Service,Security support / Apply upgrades,0.68,80.00,54.4,true,false,3
Service,Security support / Intrusion detection,0.57,80.00,45.6,true,false,3
Service,Backend Programming / Forum admin,1.20,80.00,96.0,true,false,3
</csv-line-items>
</invoice>
""".encode()


def test_amounts_from_lines_with_discount_and_two_taxes(hv: Harvest) -> None:
    body = invoice_xml(lines=MIXED_LINES, tax="10", tax2="5", discount="10")
    invoice = hv.invoice(hv.create_invoice(body))
    # subtotal 383.33; discount 38.33; tax 10% of (233.33 x 0.9) = 21.00;
    # tax2 5% of (183.33 x 0.9) = 8.25
    assert (invoice["discount_amount"], invoice["tax_amount"], invoice["tax2_amount"]) == (
        38.33, 21.0, 8.25)
    assert (invoice["amount"], invoice["due_amount"]) == (374.25, 374.25)
    assert (invoice["tax"], invoice["tax2"], invoice["discount"]) == (10.0, 5.0, 10.0)
    assert invoice["csv_line_items"].splitlines()[3] == (
        'Product,"Fonts, licensed",1.00,33.33,33.33,true,true,7')


def test_due_at_from_net_terms_and_generated_numbers(hv: Harvest) -> None:
    first = hv.invoice(hv.create_invoice(invoice_xml(
        issued_at="2014-01-01", due_at_human_format="NET 10")))
    assert (first["due_at"], first["due_at_human_format"], first["number"]) == (
        "2014-01-11", "net 10", "1")
    assert hv.invoice(hv.create_invoice())["number"] == "2"
    hv.create_invoice(invoice_xml(number="500"))
    assert hv.invoice(hv.create_invoice())["number"] == "501"
    default = hv.invoice(hv.create_invoice())
    assert (default["issued_at"], default["due_at"], default["due_at_human_format"]) == (
        "2026-03-02", "2026-03-02", "upon receipt")
    custom = hv.invoice(hv.create_invoice(invoice_xml(due_at="2026-04-01")))
    assert (custom["due_at"], custom["due_at_human_format"]) == ("2026-04-01", "custom")


def test_json_create_and_show(hv: Harvest) -> None:
    body = (b'{"invoice":{"client_id":46066,"subject":"JSON","currency":"Euro - EUR",'
            b'"csv_line_items":"' + CSV_HEADER.encode() + b'\\nService,Work,1.5,99.99,,true,'
            b'false,\\n","tax":19}}')
    created = hv.post("/invoices", body, fmt="json")
    assert created.status_code == 201
    invoice = hv.get(created.headers["Location"] + ".json").json()["invoice"]
    assert list(invoice)[-1] == "csv_line_items"
    assert (invoice["currency"], invoice["amount"], invoice["tax_amount"]) == (
        "Euro - EUR", 178.49, 28.5)  # 149.985 -> 149.99; 19% -> 28.4981 -> 28.50
    assert invoice["period_start"] is None and invoice["state"] == "draft"


def test_currency_minor_units_follow_the_currency(hv: Harvest) -> None:
    invoice = hv.invoice(hv.create_invoice(invoice_xml(
        currency="JPY", lines="Service,Work,3,1000.5,,false,false,")))
    assert (invoice["currency"], invoice["amount"]) == ("Japan Yen - JPY", 3002.0)


def test_list_has_no_line_items_and_newest_first(hv: Harvest) -> None:
    ids = [hv.create_invoice() for _ in range(3)]
    listed = hv.get("/invoices")
    assert listed.status_code == 200
    assert listed.content.startswith(DECL + b'<invoices type="array">\n  <invoice>\n')
    rows = records(listed.content)
    assert [int(str(r["id"])) for r in rows] == ids[::-1]
    assert all("csv-line-items" not in r for r in rows)
    as_json = hv.get("/invoices.json").json()
    assert [row["invoices"]["id"] for row in as_json] == ids[::-1]  # plural wrapper
    assert "csv_line_items" not in as_json[0]["invoices"]


def test_empty_list(hv: Harvest) -> None:
    assert hv.get("/invoices").content == EMPTY_LIST
    assert hv.get("/invoices", fmt="json").content == b"[]"


def test_fifty_per_page(hv: Harvest) -> None:
    for _ in range(53):
        hv.create_invoice()
    first = hv.get("/invoices.json").json()
    second = hv.get("/invoices.json?page=2").json()
    assert (len(first), len(second)) == (50, 3)
    assert hv.get("/invoices?page=3").content == EMPTY_LIST
    numbers = {r["invoices"]["number"] for r in first + second}
    assert numbers == {str(n) for n in range(1, 54)}


def _ids(hv: Harvest, query: str) -> set[int]:
    response = hv.get(f"/invoices.json?{query}")
    assert response.status_code == 200, response.text
    return {row["invoices"]["id"] for row in response.json()}


def test_status_filters_including_unpaid_and_pastdue(hv: Harvest) -> None:
    draft = hv.create_invoice(invoice_xml(issued_at="2026-01-01", due_at_human_format="NET 1"))
    overdue = hv.create_invoice(invoice_xml(issued_at="2026-02-01",
                                            due_at_human_format="NET 14"))
    current = hv.create_invoice(invoice_xml(issued_at="2026-02-20",
                                            due_at_human_format="NET 30"))
    partial = hv.create_invoice(invoice_xml(issued_at="2026-01-15"))
    paid = hv.create_invoice(invoice_xml(issued_at="2026-01-10"))
    closed = hv.create_invoice(invoice_xml(issued_at="2026-01-05"))
    for invoice_id in (overdue, current, partial, paid, closed):
        hv.send(invoice_id)
    hv.pay(partial, "10")
    hv.pay(paid, "1000")
    hv.post(f"/invoices/{closed}/messages/mark_as_closed")

    assert _ids(hv, "status=draft") == {draft}
    assert _ids(hv, "status=open") == {overdue, current}
    assert _ids(hv, "status=partial") == {partial}
    assert _ids(hv, "status=paid") == {paid}
    assert _ids(hv, "status=closed") == {closed}
    assert _ids(hv, "status=unpaid") == {overdue, current, partial}
    assert _ids(hv, "status=pastdue") == {overdue, partial}
    # pastdue is judged by the sandbox clock
    hv.http.post("/_sandbox/clock", json={"advance": 30 * 86400})
    assert _ids(hv, "status=pastdue") == {overdue, current, partial}


def test_client_dates_updated_since_and_combinations(
        make_client: Callable[..., TestClient]) -> None:
    """`from`/`to` as the docs read them: issue dates (`--harvest-follows documented`)."""
    http = make_client(harvest_follows="documented")
    freeze(http)
    hv = Harvest(http)
    a = hv.create_invoice(invoice_xml(client_id=1, issued_at="2026-01-10"))
    b = hv.create_invoice(invoice_xml(client_id=2, issued_at="2026-02-10"))
    hv.http.post("/_sandbox/clock", json={"advance": 3600})
    c = hv.create_invoice(invoice_xml(client_id=1, issued_at="2026-02-20"))
    hv.send(c)
    assert _ids(hv, "client=1") == {a, c}
    assert _ids(hv, "from=20260201") == {b, c}
    assert _ids(hv, "to=20260210") == {a, b}
    assert _ids(hv, "from=20260201&to=20260210") == {b}
    assert _ids(hv, "updated_since=2026-03-02+10:45") == {c}
    assert _ids(hv, "updated_since=2026-03-02T10:00:00Z") == {a, b, c}
    assert _ids(hv, "client=1&from=20260201&status=open") == {c}
    assert _ids(hv, "client=1&status=draft&updated_since=2026-03-02%2010%3A45") == set()
    hv.put(f"/invoices/{a}", b"<invoice><subject>touched</subject></invoice>")
    assert _ids(hv, "updated_since=2026-03-02+10:45") == {a, c}


@pytest.mark.parametrize(("query", "error"), [
    ("status=bogus", "Status must be one of draft, open, partial, paid, closed, unpaid, pastdue"),
    ("page=0", "Page must be a whole number of at least 1"),
    ("page=abc", "Page is not a number"),
    ("client=abc", "Client is not a number"),
    ("from=20261301", "From is not a valid date"),
    ("updated_since=yesterday", "Updated since is not a valid datetime"),
])
def test_bad_list_queries_are_422(account: Harvest, query: str, error: str) -> None:
    hv = account
    response = hv.get(f"/invoices?{query}")
    assert response.status_code == 422
    assert response.content == DECL + f"<errors>\n  <error>{error}</error>\n</errors>\n".encode()


def test_selective_update_ignores_state_and_amounts(hv: Harvest) -> None:
    invoice_id = hv.create_invoice(invoice_xml(subject="Before", notes="keep me",
                                               due_at_human_format="NET 30",
                                               issued_at="2026-02-01"))
    before = hv.invoice(invoice_id)
    hv.http.post("/_sandbox/clock", json={"advance": 60})
    updated = hv.put(f"/invoices/{invoice_id}",
                     b"<invoice><subject>After</subject><state>paid</state>"
                     b'<amount type="decimal">1.0</amount><due-amount>0</due-amount></invoice>')
    assert updated.status_code == 200
    assert updated.headers["Location"] == f"/invoices/{invoice_id}"
    assert updated.content == b""
    after = hv.invoice(invoice_id)
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"subject", "updated_at"}
    assert (after["subject"], after["state"], after["amount"]) == ("After", "draft", 1000.0)
    # a new issue date moves the due date by the stored terms
    hv.put(f"/invoices/{invoice_id}", b"<invoice><issued-at>2026-03-01</issued-at></invoice>")
    assert hv.invoice(invoice_id)["due_at"] == "2026-03-31"


def test_update_lines_taxes_and_round_trip_of_a_whole_record(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    hv.put(f"/invoices/{invoice_id}", invoice_xml(lines=MIXED_LINES, tax="10"))
    assert hv.invoice(invoice_id)["amount"] == 406.66  # tax: 10% of 233.33
    hv.put(f"/invoices/{invoice_id}", b'<invoice><tax nil="true"></tax></invoice>')
    assert hv.invoice(invoice_id)["amount"] == 383.33
    # PUT back exactly what GET returned: nothing but updated_at may change
    shown = hv.get(f"/invoices/{invoice_id}").content
    before = hv.invoice(invoice_id)
    assert hv.put(f"/invoices/{invoice_id}", shown).status_code == 200
    assert hv.invoice(invoice_id) == before
    as_json = hv.get(f"/invoices/{invoice_id}.json").content
    assert hv.put(f"/invoices/{invoice_id}.json", as_json, fmt="json").status_code == 200
    assert hv.invoice(invoice_id) == before


def test_update_with_the_harvested_gem_json_root(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    response = hv.put(f"/invoices/{invoice_id}", b'{"doc":{"subject":"from ruby"}}', fmt="json")
    assert response.status_code == 200
    assert hv.invoice(invoice_id)["subject"] == "from ruby"


def test_lowering_lines_below_payments_settles_as_overpaid(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    hv.send(invoice_id)
    hv.pay(invoice_id, "600")
    assert hv.invoice(invoice_id)["state"] == "partial"
    hv.put(f"/invoices/{invoice_id}", invoice_xml(lines="Service,Less,1,500.00,,false,false,"))
    invoice = hv.invoice(invoice_id)
    assert (invoice["state"], invoice["due_amount"]) == ("paid", -100.0)
    hv.put(f"/invoices/{invoice_id}", invoice_xml(lines="Service,More,1,900.00,,false,false,"))
    assert hv.invoice(invoice_id)["state"] == "partial"


def test_editing_a_closed_invoice_keeps_it_closed(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    hv.send(invoice_id)
    hv.pay(invoice_id, "100")
    hv.post(f"/invoices/{invoice_id}/messages/mark_as_closed")
    hv.put(f"/invoices/{invoice_id}", invoice_xml(lines="Service,Less,1,50.00,,false,false,"))
    invoice = hv.invoice(invoice_id)
    assert (invoice["state"], invoice["amount"], invoice["due_amount"]) == ("closed", 50.0, -50.0)


def test_delete_invoice_in_json(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    deleted = hv.delete(f"/invoices/{invoice_id}.json", fmt="json")
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert hv.get("/invoices.json", fmt="json").json() == []
    assert hv.delete(f"/invoices/{invoice_id}.json", fmt="json").status_code == 404


def test_delete_invoice(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    hv.send(invoice_id)
    hv.pay(invoice_id, "5")
    deleted = hv.delete(f"/invoices/{invoice_id}")
    assert (deleted.status_code, deleted.content) == (200, b"")
    for path in (f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/payments",
                 f"/invoices/{invoice_id}/messages"):
        assert hv.get(path).status_code == 404
    assert hv.delete(f"/invoices/{invoice_id}").status_code == 404
    assert hv.get("/invoices").content == EMPTY_LIST


@pytest.mark.parametrize(("body", "errors"), [
    (b"<invoice><subject>no client</subject></invoice>", ["Client can't be blank"]),
    (invoice_xml(client_id=0), ["Client must be greater than 0"]),
    (invoice_xml(lines="Service,Work,abc,1,,false,false,"),
     ["Csv line items line 1: Quantity is not a number"]),
    (invoice_xml(lines="Service,Work,1,1,,maybe,false,"),
     ["Csv line items line 1: Taxed must be true or false"]),
    (invoice_xml(lines="Service,Web, mobile,1,1,,false,false,3"),
     ["Csv line items line 1 has more fields than the header (quote descriptions that contain "
      "commas)"]),
    (b"<invoice><client-id>1</client-id><csv-line-items>kind,amount\nService,1"
     b"</csv-line-items></invoice>",
     ["Csv line items must start with the header " + CSV_HEADER]),
    (invoice_xml(lines="Service,Huge,99999999999,99999999,,false,false,"),
     ["Csv line items line 1: Amount is too large"]),
    (invoice_xml(lines="Service,Credit,-1,10.00,,false,false,"), ["Amount can't be negative"]),
    (invoice_xml(tax="150", discount="-1"),
     ["Tax must be between 0 and 100", "Discount must be between 0 and 100"]),
    (invoice_xml(due_at_human_format="whenever"),
     ["Due at human format must be NET N (days), upon receipt or custom"]),
    (invoice_xml(currency="Dollars"), ["Currency is not included in the list"]),
    (invoice_xml(kind="magic"), ["Kind must be one of free_form, project, task, people, detailed"]),
    (invoice_xml(issued_at="2026-02-30"), ["Issued at is not a valid date"]),
    (invoice_xml(subject="x" * 256), ["Subject is too long (maximum is 255 characters)"]),
])
def test_invalid_invoices_are_422_and_write_nothing(account: Harvest, body: bytes,
                                                    errors: list[str]) -> None:
    hv = account
    hv.create_invoice(invoice_xml(number="77"))
    before = hv.snapshot()
    response = hv.post("/invoices", body, fmt="json")
    assert response.status_code == 422
    assert response.json() == {"errors": errors}
    assert hv.snapshot() == before


def test_duplicate_numbers_are_refused(hv: Harvest) -> None:
    first = hv.create_invoice(invoice_xml(number="77"))
    second = hv.create_invoice()
    before = hv.snapshot()
    for response in (hv.post("/invoices", invoice_xml(number="77")),
                     hv.put(f"/invoices/{second}", b"<invoice><number>77</number></invoice>")):
        assert response.status_code == 422
        assert fields(response.content) == {"error": "Number has already been taken"}
    blank = hv.put(f"/invoices/{first}", b"<invoice><number></number></invoice>")
    assert fields(blank.content) == {"error": "Number can't be blank"}
    assert hv.snapshot() == before
    same = hv.put(f"/invoices/{first}", b"<invoice><number>77</number></invoice>")
    assert same.status_code == 200


def test_invoice_element_order_is_rails_order(hv: Harvest) -> None:
    invoice_id = hv.create_invoice(invoice_xml(tax="10", tax2="2"))
    order = tag_order(hv.get(f"/invoices/{invoice_id}").content)
    assert order[-1] == "csv-line-items"
    underscored = [name.replace("-", "_") for name in order[:-1]]
    assert underscored == sorted(underscored)
    assert order.index("tax2-amount") < order.index("tax-amount")
    listed = records(hv.get("/invoices").content)[0]
    assert list(listed) == order[:-1]


def _clock(hv: Harvest) -> dict[str, Any]:
    return dict(hv.http.get("/_sandbox/clock").json())


def test_timestamps_come_from_the_sandbox_clock(hv: Harvest) -> None:
    assert _clock(hv)["now"].startswith(NOW[:19])
    invoice = hv.invoice(hv.create_invoice())
    assert invoice["created_at"] == invoice["updated_at"] == NOW
