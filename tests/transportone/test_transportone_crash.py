"""Durable work across kill -9 and restart of a served sandbox: queued notifications are sent
once after the restart, a bulk upload killed half-way applies every payment exactly once and
reports once, and a callback aimed at the sandbox's own control plane resets nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
from durable_kit import Inbox, deliveries, states, upload, wait_until
from served_sandbox import ServedSandbox, free_port
from transportone_kit import BILLING, SANDBOX, charge, detail, login, make_invoice


def payments_of(http: httpx.Client, headers: dict[str, str], code: str) -> list[dict[str, str]]:
    response = http.get(f"{BILLING}/invoice/payments/{code}", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["data"]["payments"])


def test_notifications_pending_at_a_kill_are_sent_once_after_restart(
        served: Callable[..., ServedSandbox], tmp_path: Path) -> None:
    db = tmp_path / "crash.sqlite"
    erp_port = free_port()  # the ERP is down until the sandbox has been killed
    first = served("--fixtures", "none", db=db)
    codes = [f"INV-K-{i}" for i in range(5)]
    with httpx.Client(base_url=first.url, timeout=30) as http:
        http.put(f"{SANDBOX}/acme/erp-callback", json={"url": f"http://127.0.0.1:{erp_port}/erp"})
        for code in codes:
            make_invoice(http, code, state="SUBMITTED")
            assert http.post(f"{SANDBOX}/acme/invoices/{code}/approve").status_code == 200
        wait_until(lambda: all(d["attempts"] for d in deliveries(http)))
        assert states(http) == ["pending"] * 5
    first.kill()
    with Inbox(port=erp_port) as erp:
        second = served("--fixtures", "none", db=db)
        with httpx.Client(base_url=second.url, timeout=30) as http:
            wait_until(lambda: states(http) == ["delivered"] * 5, 120,
                       lambda: str(states(http)))
    assert sorted(r["body"]["data"]["uniqueCode"] for r in erp.requests) == codes


def test_a_bulk_upload_killed_half_way_applies_each_payment_once(
        served: Callable[..., ServedSandbox], tmp_path: Path) -> None:
    db = tmp_path / "bulk.sqlite"
    first = served("--fixtures", "none", db=db)
    payments = [{"invoiceId": "INV-BIG", "appliedAmount": 1, "referenceNumber": f"UTR-{i:04d}"}
                for i in range(1000)]
    with Inbox() as erp:
        with httpx.Client(base_url=first.url, timeout=30) as http:
            headers = login(http)
            make_invoice(http, "INV-BIG", state="APPROVED", charges=[charge("BIG-C", 2000)])
            upload(http, headers, payments, callback=f"{erp.url}/result", request_id="bulk-k9")
            wait_until(lambda: len(payments_of(http, headers, "INV-BIG")) > 0)
        first.kill()
        second = served("--fixtures", "none", db=db)
        with httpx.Client(base_url=second.url, timeout=30) as http:
            wait_until(lambda: states(http) == ["delivered"], 300, lambda: str(states(http)))
            applied = payments_of(http, headers, "INV-BIG")
            invoice = detail(http, headers, "INV-BIG")
            # the same request again is answered from its record, and applies nothing more
            replay = http.post(f"{BILLING}/shipper/bulk/upload/payment",
                               headers={**headers, "x-coreos-request-id": "bulk-k9"},
                               json={"data": {"payments": payments},
                                     "callback": {"url": f"{erp.url}/result"}})
            assert replay.status_code == 202
            assert replay.headers["x-coreos-idempotent-replay"] == "true"
            assert len(payments_of(http, headers, "INV-BIG")) == 1000
    counts = Counter(p["referenceNumber"] for p in applied)
    assert len(applied) == 1000 and set(counts.values()) == {1}
    assert invoice["state"] == "PARTIALLY_PAID"
    assert len(erp.requests) == 1
    result = erp.requests[0]["body"]
    assert (result["requestId"], result["uploadStatus"]) == ("bulk-k9", "COMPLETED")
    assert (result["successCount"], result["failureCount"]) == (1000, 0)
    assert [r["index"] for r in result["results"]] == list(range(1000))


def test_a_callback_to_the_control_plane_resets_nothing(
        served: Callable[..., ServedSandbox]) -> None:
    server = served("--fixtures", "none")
    with httpx.Client(base_url=server.url, timeout=30) as http:
        headers = login(http)
        make_invoice(http, "INV-CP", state="APPROVED", charges=[charge("CP-C", 100)])
        for host in ("127.0.0.1", "localhost", "[::1]"):
            upload(http, headers, [{"invoiceId": "INV-CP", "appliedAmount": 1}],
                   callback=f"http://{host}:{server.port}/_sandbox/reset")
        wait_until(lambda: states(http) == ["failed"] * 3, 60, lambda: str(states(http)))
        outcomes = [a["outcome"] for d in deliveries(http) for a in d["attempts"]]
        assert outcomes == ["refused_control_plane"] * 3
        # the three uploads were applied and nothing was reset
        assert len(payments_of(http, headers, "INV-CP")) == 3
        assert detail(http, headers, "INV-CP")["state"] == "PARTIALLY_PAID"
