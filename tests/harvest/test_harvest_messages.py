"""Invoice messages and the state actions: every transition of Harvest's lifecycle, allowed or
refused, in both formats."""

from __future__ import annotations

import pytest
from harvest_support import DECL, EMPTY_LIST, XML_CT, Harvest, fields, records

# The documentation's "send an invoice" sample.
SEND_SAMPLE = b"""<invoice-message>
  <body>Message body</body>
  <recipients>support@harvestapp.com, help@getharvest.com</recipients>
  <attach-pdf type="boolean">true</attach-pdf>
  <send-me-a-copy type="boolean">true</send-me-a-copy>
  <include-pay-pal-link type="boolean">true</include-pay-pal-link>
</invoice-message>"""
OPTIONAL_BODY = b"""<invoice-message>
  <body>Optional message body goes here</body>
</invoice-message>"""


def in_state(hv: Harvest, state: str) -> int:
    """A 1000.00 invoice brought to `state` through the API."""
    invoice_id = hv.create_invoice()
    if state == "draft":
        return invoice_id
    assert hv.post(f"/invoices/{invoice_id}/messages/mark_as_sent").status_code == 200
    if state in ("partial", "closed-partial"):
        hv.pay(invoice_id, "100")
    if state == "paid":
        hv.pay(invoice_id, "1000")
    if state.startswith("closed"):
        assert hv.post(f"/invoices/{invoice_id}/messages/mark_as_closed").status_code == 200
    return invoice_id


# (start, action, resulting state or None when refused)
TRANSITIONS = [
    ("draft", "send", "open"), ("draft", "mark_as_sent", "open"),
    ("draft", "mark_as_closed", None), ("draft", "re_open", None),
    ("draft", "mark_as_draft", None),
    ("open", "send", "open"), ("open", "mark_as_sent", None),
    ("open", "mark_as_closed", "closed"), ("open", "re_open", None),
    ("open", "mark_as_draft", "draft"),
    ("partial", "send", "partial"), ("partial", "mark_as_sent", None),
    ("partial", "mark_as_closed", "closed"), ("partial", "re_open", None),
    ("partial", "mark_as_draft", None),
    ("paid", "send", "paid"), ("paid", "mark_as_sent", None),
    ("paid", "mark_as_closed", None), ("paid", "re_open", None),
    ("paid", "mark_as_draft", None),
    ("closed", "send", None), ("closed", "mark_as_sent", None),
    ("closed", "mark_as_closed", None), ("closed", "re_open", "open"),
    ("closed", "mark_as_draft", None),
    ("closed-partial", "re_open", "partial"),
]
HINTS = {
    "send": "Closed invoices cannot be sent. Re-open the invoice first.",
    "mark_as_sent": "Only draft invoices can be marked as sent.",
    "mark_as_closed": "Only open or partially paid invoices can be closed.",
    "re_open": "Only closed invoices can be re-opened.",
    "mark_as_draft": "Only open invoices without payments can be marked as draft.",
}


@pytest.mark.parametrize("fmt", ["xml", "json"])
@pytest.mark.parametrize(("start", "action", "result"), TRANSITIONS)
def test_transition_table(account: Harvest, fmt: str, start: str, action: str,
                          result: str | None) -> None:
    hv = account
    invoice_id = in_state(hv, start)
    before = hv.snapshot()
    if action == "send":
        body = (b'{"invoice_message":{"recipients":"ap@client.example"}}' if fmt == "json"
                else b"<invoice-message><recipients>ap@client.example</recipients>"
                     b"</invoice-message>")
        response = hv.post(f"/invoices/{invoice_id}/messages", body, fmt=fmt)
    else:
        response = hv.post(f"/invoices/{invoice_id}/messages/{action}", fmt=fmt)
    if result is None:
        assert response.status_code == 400
        assert response.headers["Hint"] == HINTS[action]
        if fmt == "json":
            assert response.json() == {"errors": [HINTS[action]]}
        else:
            assert fields(response.content) == {"error": HINTS[action]}
        assert hv.snapshot() == before
        return
    assert response.status_code == (201 if action == "send" else 200)
    assert response.content == b""
    assert hv.invoice(invoice_id)["state"] == result
    messages = hv.get(f"/invoices/{invoice_id}/messages", fmt="json").json()
    assert len(messages) == len(before[str(invoice_id)]["messages"]) + 1


def test_send_sample_message_bytes(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    sent = hv.post(f"/invoices/{invoice_id}/messages", SEND_SAMPLE)
    assert sent.status_code == 201
    location = sent.headers["Location"]
    assert location.startswith(f"/invoices/{invoice_id}/messages/")
    message_id = int(location.rsplit("/", 1)[1])
    shown = hv.get(location)
    assert shown.headers["content-type"] == XML_CT
    recipients = ("support@harvestapp.com,help@getharvest.com,"
                  "tester &lt;tester@example.com&gt;")
    assert shown.content == DECL + f"""<invoice-message>
  <body>Message body</body>
  <created-at type="datetime">2026-03-02T10:30:00Z</created-at>
  <full-recipient-list>{recipients}</full-recipient-list>
  <id type="integer">{message_id}</id>
  <include-pay-pal-link type="boolean">true</include-pay-pal-link>
  <invoice-id type="integer">{invoice_id}</invoice-id>
  <send-me-a-copy type="boolean">true</send-me-a-copy>
  <sent-by>tester</sent-by>
  <sent-by-email>tester@example.com</sent-by-email>
  <subject nil="true"></subject>
  <thank-you type="boolean">false</thank-you>
  <updated-at type="datetime">2026-03-02T10:30:00Z</updated-at>
</invoice-message>
""".encode()
    listed = hv.get(f"/invoices/{invoice_id}/messages")
    body = shown.content.removeprefix(DECL)
    indented = b"".join(b"  " + line for line in body.splitlines(keepends=True))
    assert listed.content == (DECL + b'<invoice-message type="array">\n' + indented
                              + b"</invoice-message>\n")
    as_json = hv.get(f"/invoices/{invoice_id}/messages.json").json()
    assert as_json[0]["message"]["full_recipient_list"].startswith(
        "support@harvestapp.com,")
    assert hv.get(f"/invoices/{invoice_id}/messages/{message_id}.json").json() == as_json[0]


def test_state_actions_record_their_optional_message(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    assert hv.get(f"/invoices/{invoice_id}/messages").content == EMPTY_LIST
    assert hv.post(f"/invoices/{invoice_id}/messages/mark_as_sent",
                   OPTIONAL_BODY).status_code == 200
    # bodiless, posted as an empty form the way some clients do
    assert hv.post(f"/invoices/{invoice_id}/messages/mark_as_closed", b"",
                   headers={"Content-Type": "application/x-www-form-urlencoded"}
                   ).status_code == 200
    assert hv.post(f"/invoices/{invoice_id}/messages/re_open.json", fmt="json").status_code == 200
    listed = records(hv.get(f"/invoices/{invoice_id}/messages").content)
    assert [m["body"] for m in listed] == ["Optional message body goes here", None, None]
    assert hv.invoice(invoice_id)["state"] == "open"


def test_thank_you_note_for_a_paid_invoice(hv: Harvest) -> None:
    invoice_id = in_state(hv, "paid")
    location = hv.post(f"/invoices/{invoice_id}/messages",
                       b"<invoice-message><recipients>a@b.example</recipients>"
                       b"<body>Thanks!</body></invoice-message>").headers["Location"]
    assert fields(hv.get(location).content)["thank-you"] == "true"


def test_delete_message(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    message_id = hv.send(invoice_id)
    deleted = hv.delete(f"/invoices/{invoice_id}/messages/{message_id}")
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert hv.get(f"/invoices/{invoice_id}/messages").content == EMPTY_LIST
    assert hv.get(f"/invoices/{invoice_id}/messages/{message_id}").status_code == 404
    assert hv.invoice(invoice_id)["state"] == "open"  # deleting the note keeps the state


def test_delete_message_in_json(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    message_id = hv.send(invoice_id)
    deleted = hv.delete(f"/invoices/{invoice_id}/messages/{message_id}.json", fmt="json")
    assert (deleted.status_code, deleted.content) == (200, b"")
    assert hv.get(f"/invoices/{invoice_id}/messages.json").json() == []


@pytest.mark.parametrize(("body", "error"), [
    (b"<invoice-message><body>hi</body></invoice-message>", "Recipients can't be blank"),
    (b"<invoice-message><recipients>not-an-email</recipients></invoice-message>",
     "Recipients contains an invalid email address: not-an-email"),
    (b"<invoice-message><recipients>a@b.example</recipients>"
     b"<attach-pdf>perhaps</attach-pdf></invoice-message>", "Attach pdf must be true or false"),
    (b"<payment><recipients>a@b.example</recipients></payment>",
     "Expected a <invoice-message> element, got <payment>"),
])
def test_invalid_messages_are_422_and_write_nothing(account: Harvest, body: bytes,
                                                    error: str) -> None:
    hv = account
    invoice_id = hv.create_invoice()
    before = hv.snapshot()
    response = hv.post(f"/invoices/{invoice_id}/messages", body, fmt="json")
    assert response.status_code == 422
    assert response.json() == {"errors": [error]}
    assert hv.snapshot() == before
    assert hv.invoice(invoice_id)["state"] == "draft"


def test_unknown_messages_and_actions_are_404(hv: Harvest) -> None:
    invoice_id = hv.create_invoice()
    other = hv.create_invoice()
    message_id = hv.send(other)
    before = hv.snapshot()
    for method, path in [
        ("GET", f"/invoices/{invoice_id}/messages/{message_id}"),
        ("DELETE", f"/invoices/{invoice_id}/messages/{message_id}"),
        ("GET", f"/invoices/{invoice_id}/messages/nope"),
        ("POST", f"/invoices/{invoice_id}/messages/mark_as_paid"),
        ("POST", "/invoices/999999/messages/mark_as_sent"),
        ("POST", "/invoices/x/messages"),
    ]:
        response = hv.call(method, path)
        assert response.status_code == 404, path
        assert b"HARVEST: Can't find page" in response.content
    assert hv.snapshot() == before
