"""The payment push notification to a real local HTTP receiver, and the merchant settings of
the control plane."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient
from payone_support import DECLINED_CARD, MERCHANT, PayOne, item, snapshot


class Receiver:
    """A merchant's notification endpoint: records requests, answers the queued statuses."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body.decode()})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/payone/notify"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.requests) >= count, f"{len(self.requests)} of {count} requests arrived"
        return self.requests

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    started: list[Receiver] = []

    def start(*statuses: int) -> Receiver:
        started.append(Receiver(list(statuses)))
        return started[-1]

    yield start
    for r in started:
        r.close()


def register(http: TestClient, merchant: str, **settings: Any) -> dict[str, Any]:
    r = http.post(f"/_sandbox/payone/merchants/{merchant}", json=settings)
    assert r.status_code == 200, r.text
    return dict(r.json())


def deliveries(http: TestClient) -> list[dict[str, Any]]:
    r = http.get("/_sandbox/deliveries", params={"provider": "payone"})
    assert r.status_code == 200
    return list(r.json()["deliveries"])


def wait_delivered(http: TestClient, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = deliveries(http)
        if rows and rows[-1]["state"] != "pending":
            return rows[-1]
        time.sleep(0.05)
    raise AssertionError(f"delivery still pending: {deliveries(http)}")


def test_each_payment_is_pushed_to_the_merchant(api: PayOne,
                                                receiver: Callable[..., Receiver]) -> None:
    target = receiver()
    api.create_one("INV-9", amount="2500")
    register(api.http, MERCHANT, notification_url=target.url)
    assert api.pay("INV-9", "5555555555554444").status_code == 200
    request = target.wait_for(1)[0]
    assert request["path"] == "/payone/notify"
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    params = {k: v[0] for k, v in parse_qs(request["body"], strict_parsing=True).items()}
    inquiry = api.inquire("INV-9")
    assert params == {
        "Response.MerchantID": MERCHANT,
        "Response.InvoiceId": "INV-9",
        "Response.InvoiceStatus": "PAID",
        "Response.Amount": "2500",
        "Response.CurrencyISOCode": "682",
        "Response.RRN": inquiry["rrn"],
        "Response.ApprovalCode": inquiry["approvalCode"],
        "Response.MaskedCardNumber": "555555******4444",
        "Response.CardType": "MASTERCARD",
    }
    row = wait_delivered(api.http)
    assert row["state"] == "delivered" and row["url"] == target.url
    assert [a["status_code"] for a in row["attempts"]] == [200]


def test_a_failing_receiver_gets_the_notification_again(api: PayOne,
                                                        receiver: Callable[..., Receiver]) -> None:
    target = receiver(500, 503)
    register(api.http, MERCHANT, notification_url=target.url)
    api.create_one(pre_auth=True)
    api.pay("INV-1")
    requests = target.wait_for(3)
    assert requests[0]["body"] == requests[1]["body"] == requests[2]["body"]
    assert "Response.InvoiceStatus=PAID" in requests[0]["body"]
    row = wait_delivered(api.http)
    assert row["state"] == "delivered"
    assert [a["status_code"] for a in row["attempts"]] == [500, 503, 200]
    assert len(deliveries(api.http)) == 1


def test_no_notification_without_a_url_or_a_payment(api: PayOne,
                                                    receiver: Callable[..., Receiver]) -> None:
    api.create_one("A")
    api.create_one("B")
    api.pay("A")  # no URL registered yet
    target = receiver()
    register(api.http, MERCHANT, notification_url=target.url)
    assert api.pay("B", DECLINED_CARD).status_code == 402
    api.deactivate("B")
    assert deliveries(api.http) == []
    assert target.requests == []
    # Clearing the URL stops notifications again.
    register(api.http, MERCHANT, notification_url=None)
    api.activate("B")
    api.pay("B")
    assert deliveries(api.http) == []


def test_merchant_settings_can_be_read_back(api: PayOne) -> None:
    api.create_one()
    assert api.http.get(f"/_sandbox/payone/merchants/{MERCHANT}").json() == {
        "merchantID": MERCHANT, "notification_url": None, "refund_approval": False,
        "required_dynamic_fields": [], "token_registered": True, "from_fixture": False}
    register(api.http, MERCHANT, notification_url="https://shop.example/notify",
             refund_approval=True)
    body = api.http.get(f"/_sandbox/payone/merchants/{MERCHANT}").json()
    assert body["notification_url"] == "https://shop.example/notify"
    assert body["refund_approval"] is True
    assert "authenticationToken" not in body


def test_a_merchant_set_up_first_gets_its_token_from_its_first_call(api: PayOne) -> None:
    body = register(api.http, "newMerchant", notification_url="http://127.0.0.1:9/x")
    assert body["token_registered"] is False
    merchant = PayOne(api.http, "newMerchant", "first-token")
    merchant.error("createInvoice", merchant.document(invoicesDetails=[item(amount="x")]),
                   "00004")
    assert api.http.get("/_sandbox/payone/merchants/newMerchant").json()[
        "token_registered"] is False
    merchant.create_one()
    assert api.http.get("/_sandbox/payone/merchants/newMerchant").json()[
        "token_registered"] is True
    other = PayOne(api.http, "newMerchant", "second-token")
    other.error("inquireInvoice", other.document(invoiceID="INV-1"), "00022")


@pytest.mark.parametrize(("body", "status"), [
    ({"notification_url": "ftp://example.com/x"}, 400),
    ({"notification_url": "not a url"}, 400),
    ({"notification_url": "http://"}, 400),
    ({"notification_url": 42}, 400),
    ({"notification_url": "http://x.example/" + "a" * 3000}, 400),
    ({"refund_approval": "yes"}, 400),
    ({"required_dynamic_fields": "ItemID"}, 400),
    ({"required_dynamic_fields": [""]}, 400),
    ({"color": "blue"}, 400),
    ([1, 2], 400),
    ("not json", 400),
])
def test_bad_settings_are_refused_and_write_nothing(api: PayOne, body: Any, status: int) -> None:
    api.create_one()
    before = snapshot(api.http)
    content = body if isinstance(body, str) else None
    r = (api.http.post(f"/_sandbox/payone/merchants/{MERCHANT}", content=content)
         if content is not None else
         api.http.post(f"/_sandbox/payone/merchants/{MERCHANT}", json=body))
    assert r.status_code == status
    assert set(r.json()["error"]) == {"code", "message"}
    assert snapshot(api.http) == before


def test_unknown_and_malformed_merchants(api: PayOne) -> None:
    before = snapshot(api.http)
    assert api.http.get("/_sandbox/payone/merchants/nobody").status_code == 404
    r = api.http.post("/_sandbox/payone/merchants/bad%20id", json={})
    assert r.status_code == 400
    assert snapshot(api.http) == before


def test_strict_mode_does_not_create_merchants(make_client: Callable[..., TestClient],
                                               tmp_path: Path) -> None:
    (tmp_path / "payone.toml").write_text(
        '[[merchants]]\nmerchantID = "known"\nauthenticationToken = "known-token"\n',
        encoding="utf-8")
    http = make_client(fixtures=tmp_path, auth="strict")
    before = snapshot(http)
    r = http.post("/_sandbox/payone/merchants/stranger", json={"refund_approval": True})
    assert r.status_code == 404
    assert snapshot(http) == before
    assert register(http, "known", refund_approval=True)["from_fixture"] is True
