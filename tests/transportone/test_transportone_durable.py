"""Durable, epoch-bound background work seen from outside: the outbox shared by several
sandboxes on one database, targets that do not wait on each other, resets that drop the work of
the tenants they wipe, and the delivery listing (paged, redacted, outcomes only)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from durable_kit import Inbox, deliveries, silent_endpoint, states, upload, wait_until
from fastapi.testclient import TestClient
from invoice_sandbox.core import epoch, webhooks
from invoice_sandbox.main import create_app
from invoice_sandbox.settings import Settings
from served_sandbox import free_port
from sqlalchemy import text
from transportone_kit import BILLING, SANDBOX, charge, detail, login, make_invoice


def approve(http: Any, code: str, tenant: str = "acme") -> None:
    make_invoice(http, code, tenant=tenant, state="SUBMITTED")
    response = http.post(f"{SANDBOX}/{tenant}/invoices/{code}/approve")
    assert response.status_code == 200, response.text


def set_callback(http: Any, url: str, tenant: str = "acme", secret: str | None = None) -> None:
    body = {"url": url, **({"secret": secret} if secret else {})}
    assert http.put(f"{SANDBOX}/{tenant}/erp-callback", json=body).status_code == 200


def test_two_sandboxes_on_one_database_send_each_notification_once(
        make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    shared = str(tmp_path / "shared.sqlite")
    first, second = make_client(db=shared), make_client(db=shared)
    codes = [f"INV-X-{i:02d}" for i in range(20)]
    with Inbox() as erp:
        set_callback(first, f"{erp.url}/erp")
        for i, code in enumerate(codes):
            approve((first, second)[i % 2], code)
        wait_until(lambda: states(first) == ["delivered"] * 20, why=lambda: str(states(first)))
    # every row is delivered, so no send is left in progress: this is the final count
    assert sorted(r["body"]["data"]["uniqueCode"] for r in erp.requests) == codes
    assert states(second) == ["delivered"] * 20


def test_a_hung_endpoint_delays_only_its_own_notifications(client: TestClient) -> None:
    with silent_endpoint() as hung, Inbox() as erp:
        set_callback(client, f"{hung}/erp", tenant="slow")
        set_callback(client, f"{erp.url}/erp", tenant="fast")
        for i in range(3):
            approve(client, f"INV-S-{i}", tenant="slow")
        approve(client, "INV-F-1", tenant="fast")
        assert erp.wait(1)[0]["body"]["data"]["uniqueCode"] == "INV-F-1"
        rows = deliveries(client)
    stuck = [r for r in rows if r["url"].startswith(hung)]
    # A send to the hung endpoint ends only at the 5 s timeout, and none has ended yet: the
    # other target did not wait behind them.
    assert len(stuck) == 3 and all(r["attempts"] == [] for r in stuck), stuck


@pytest.mark.parametrize(("status", "state"), [(200, "delivered"), (500, "dropped")])
def test_a_send_in_progress_during_a_reset_is_recorded_and_never_retried(
        client: TestClient, status: int, state: str) -> None:
    release = threading.Event()
    with Inbox(statuses=[status], hold=release) as erp:
        set_callback(client, f"{erp.url}/erp")
        approve(client, "INV-R-1")
        erp.wait(1)  # the POST has arrived and waits for its answer
        assert client.post("/_sandbox/reset").status_code == 200
        release.set()
        wait_until(lambda: states(client) == [state], why=lambda: str(states(client)))
    rows = deliveries(client)
    assert [(a["status_code"], a["outcome"]) for a in rows[0]["attempts"]] == [
        (status, "delivered" if status == 200 else f"http_{status}")]
    assert len(erp.requests) == 1  # the row is final: no retry can follow


def test_a_reset_drops_the_work_of_the_tenants_it_wipes(tmp_path: Path) -> None:
    settings = Settings(db=str(tmp_path / "db.sqlite"), fixtures=None)
    idle = TestClient(create_app(settings))  # never started: no worker runs in it
    with Inbox() as erp:
        for tenant in ("acme", "other"):
            headers = login(idle, tenant, client_id=f"{tenant}-erp")
            make_invoice(idle, f"INV-{tenant}", tenant=tenant, state="APPROVED",
                         charges=[charge(f"{tenant}-C", 100)])
            set_callback(idle, f"{erp.url}/{tenant}/approved", tenant=tenant)
            approve(idle, f"INV-{tenant}-2", tenant=tenant)
            upload(idle, headers, [{"invoiceId": f"INV-{tenant}", "appliedAmount": 100}],
                   callback=f"{erp.url}/{tenant}/result")
        assert len(deliveries(idle)) == 2
        assert idle.post("/_sandbox/reset", params={"tenant": "acme"}).status_code == 200
        assert [d["url"] for d in deliveries(idle)] == [f"{erp.url}/other/approved"]
        with TestClient(create_app(settings)) as running:
            # acme's job and notification were queued first: had they survived the reset,
            # they would have been sent before these, to the same receiver
            wait_until(lambda: {r["path"] for r in erp.requests} >= {"/other/approved",
                                                                      "/other/result"})
            other = login(running, "other", client_id="other-erp")
            assert detail(running, other, "INV-other")["state"] == "PAID"
    assert sorted(r["path"] for r in erp.requests) == ["/other/approved", "/other/result"]


def test_work_of_an_older_epoch_is_never_applied(tmp_path: Path) -> None:
    settings = Settings(db=str(tmp_path / "db.sqlite"), fixtures=None)
    app = create_app(settings)
    idle = TestClient(app)
    headers = login(idle)
    make_invoice(idle, "INV-OLD", state="APPROVED", charges=[charge("OLD-C", 100)])
    make_invoice(idle, "INV-NEW", state="APPROVED", charges=[charge("NEW-C", 100)])
    with Inbox() as erp:
        upload(idle, headers, [{"invoiceId": "INV-OLD", "appliedAmount": 100}],
               callback=f"{erp.url}/old")
        with app.state.sandbox.db.write() as session:  # a new epoch this job did not see
            epoch.advance(session)
        upload(idle, headers, [{"invoiceId": "INV-NEW", "appliedAmount": 100}],
               callback=f"{erp.url}/new")
        with TestClient(create_app(settings)) as running:
            erp.wait(1)
            # jobs are claimed oldest first: the old one would have run before this one
            assert detail(running, headers, "INV-NEW")["state"] == "PAID"
            assert detail(running, headers, "INV-OLD")["state"] == "APPROVED"
    assert [r["path"] for r in erp.requests] == ["/new"]


def test_the_delivery_listing_is_paged_redacted_and_shows_outcomes_only(
        client: TestClient) -> None:
    closed = free_port()  # nothing listens there
    set_callback(client, f"http://127.0.0.1:{closed}/erp", secret="top-secret")
    for i in range(5):
        approve(client, f"INV-L-{i}")
    wait_until(lambda: all(d["attempts"] for d in deliveries(client)))
    pages, since = [], None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"since": since} if since else {})}
        response = client.get("/_sandbox/deliveries", params=params)
        assert response.status_code == 200
        assert "top-secret" not in response.text and "refused" not in response.text.lower()
        pages.append([d["id"] for d in response.json()["deliveries"]])
        since = response.json()["next_since"]
        if since is None:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    ids = [i for page in pages for i in page]
    assert ids == sorted(ids) and ids == [d["id"] for d in deliveries(client)]
    for row in deliveries(client):
        assert row["headers"]["x-tms-callback-secret"] == "[redacted]"
        attempt = row["attempts"][0]
        assert set(attempt) == {"at", "status_code", "outcome", "duration_ms"}
        assert (attempt["status_code"], attempt["outcome"]) == (None, "connection_failed")
    for bad in ({"limit": 0}, {"limit": 1001}, {"limit": "²"}, {"since": "-1"},
                {"since": "x"}, {"limit": "١"}):
        response = client.get("/_sandbox/deliveries", params=bad)
        assert response.status_code == 400 and set(response.json()) == {"error"}, bad


def test_finished_deliveries_are_pruned_oldest_first(client: TestClient) -> None:
    with Inbox() as erp:
        set_callback(client, f"{erp.url}/erp")
        for i in range(5):
            approve(client, f"INV-P-{i}")
        wait_until(lambda: states(client) == ["delivered"] * 5)
    newest = [d["id"] for d in deliveries(client)][-2:]
    db = client.app.state.sandbox.db  # type: ignore[attr-defined]
    with db.write_sql() as conn:
        assert webhooks.prune(conn, keep=2) == 3
    assert [d["id"] for d in deliveries(client)] == newest


def test_a_callback_to_the_control_plane_is_refused_unsent(client: TestClient) -> None:
    headers = login(client)
    make_invoice(client, "INV-CP", state="APPROVED", charges=[charge("CP-C", 100)])
    # the in-process sandbox is configured for 127.0.0.1:8080
    urls = ["http://127.0.0.1:8080/_sandbox/reset", "http://LOCALHOST:8080/%5Fsandbox/reset",
            "http://[::1]:8080/tms/../_sandbox/reset", "http://0.0.0.0:8080//_sandbox/faults"]
    for url in urls:
        upload(client, headers, [{"invoiceId": "INV-CP", "appliedAmount": 1}], callback=url)
    wait_until(lambda: states(client) == ["failed"] * 4, why=lambda: str(states(client)))
    for row in deliveries(client):
        assert [(a["status_code"], a["outcome"]) for a in row["attempts"]] == [
            (None, "refused_control_plane")]


def test_a_sandbox_stopped_mid_job_hands_the_job_over(tmp_path: Path) -> None:
    settings = Settings(db=str(tmp_path / "db.sqlite"), fixtures=None)
    payments = [{"invoiceId": "INV-BIG", "appliedAmount": 1, "referenceNumber": f"UTR-{i:04d}"}
                for i in range(1000)]
    with Inbox() as erp:
        with TestClient(create_app(settings)) as first:
            headers = login(first)
            make_invoice(first, "INV-BIG", state="APPROVED", charges=[charge("BIG-C", 2000)])
            upload(first, headers, payments, callback=f"{erp.url}/result")
            wait_until(lambda: detail(first, headers, "INV-BIG")["state"] == "PARTIALLY_PAID")
        # stopped: the step in progress committed and the job was released, not left to lapse
        # (on a fast machine the job may even have finished: then no row is left at all)
        with first.app.state.sandbox.db.read_sql() as conn:  # type: ignore[attr-defined]
            left = conn.execute(text("SELECT claimed_by, lease_until FROM jobs")).all()
        assert [tuple(row) for row in left] in ([], [(None, None)])
        with TestClient(create_app(settings)) as second:
            erp.wait(1)
            applied = second.get(f"{BILLING}/invoice/payments/INV-BIG", headers=headers).json()
    references = sorted(p["referenceNumber"] for p in applied["data"]["payments"])
    assert references == [p["referenceNumber"] for p in payments]
    assert erp.requests[0]["body"]["successCount"] == 1000 and len(erp.requests) == 1
