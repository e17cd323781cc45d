"""The bundled demo account: a client's invoices in every state, reset, and fixture errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from harvest_support import Harvest
from invoice_sandbox.core.fixtures import FixtureError
from invoice_sandbox.main import create_app
from invoice_sandbox.settings import Settings


def _by_number(hv: Harvest, query: str = "") -> dict[str, dict[str, object]]:
    rows = hv.get(f"/invoices.json?{query}").json()
    return {row["invoices"]["number"]: row["invoices"] for row in rows}


def test_demo_invoices_in_every_state(hv_demo: Harvest) -> None:
    invoices = _by_number(hv_demo)
    assert {n: i["state"] for n, i in invoices.items()} == {
        "1001": "draft", "1002": "open", "1003": "open", "1004": "partial", "1005": "paid",
        "1006": "closed"}
    assert (invoices["1004"]["amount"], invoices["1004"]["due_amount"]) == (1086.03, 586.03)
    assert invoices["1001"]["amount"] == 3674.0  # 3340.00 + 10% tax
    assert invoices["1005"]["due_amount"] == 0.0
    assert invoices["1006"]["due_amount"] == 1500.0
    assert set(_by_number(hv_demo, "status=pastdue")) == {"1003"}
    assert set(_by_number(hv_demo, "status=unpaid")) == {"1002", "1003", "1004"}
    assert set(_by_number(hv_demo, "client=46067")) == {"1003", "1004", "1006"}
    sent = hv_demo.get(f"/invoices/{invoices['1002']['id']}/messages.json").json()
    assert [m["message"]["full_recipient_list"] for m in sent] == ["ap@acme.example"]
    closed = hv_demo.get(f"/invoices/{invoices['1006']['id']}/messages.json").json()
    assert len(closed) == 2  # marked as sent, then written off
    payments = hv_demo.get(f"/invoices/{invoices['1004']['id']}/payments.json").json()
    assert [(p["payment"]["amount"], p["payment"]["notes"]) for p in payments] == [
        (500.0, "check #1042")]


def test_reset_restores_the_demo_account(hv_demo: Harvest) -> None:
    first = _by_number(hv_demo)["1001"]["id"]
    assert hv_demo.delete(f"/invoices/{first}").status_code == 200
    hv_demo.create_invoice()
    assert len(_by_number(hv_demo)) == 6
    assert hv_demo.http.post("/_sandbox/reset?provider=harvest").status_code == 200
    restored = _by_number(hv_demo)
    assert sorted(restored) == ["1001", "1002", "1003", "1004", "1005", "1006"]
    hv_demo.delete(f"/invoices/{restored['1005']['id']}")
    assert hv_demo.http.post("/_sandbox/reset?provider=harvest&tenant=demo").status_code == 200
    assert len(_by_number(hv_demo)) == 6


@pytest.mark.parametrize(("invoice", "message"), [
    ('client_id = 1\nstate = "paid"\ncsv_line_items = "kind,description,quantity,unit_price,'
     'amount,taxed,taxed2,project_id\\nService,x,1,10,,false,false,"',
     "harvest account bad invoice #1: it should be paid but its payments leave it open"),
    ('client_id = 1\ntax = 500',
     "harvest account bad invoice #1: Tax must be between 0 and 100"),
    ('client_id = 1\nstate = "sideways"',
     "harvest account bad invoice #1: state must be one of draft, open, partial, paid, closed"),
])
def test_fixture_errors_name_the_problem(tmp_path: Path, db_location: Callable[..., str],
                                         invoice: str, message: str) -> None:
    (tmp_path / "harvest.toml").write_text(
        f'[[accounts]]\nsubdomain = "bad"\n[[accounts.invoices]]\n{invoice}\n', encoding="utf-8")
    with pytest.raises(FixtureError) as caught:
        create_app(Settings(db=db_location(), fixtures=tmp_path))
    assert str(caught.value) == message


def test_fixture_accounts_may_name_their_ids(make_client: Callable[..., TestClient],
                                             tmp_path: Path) -> None:
    (tmp_path / "harvest.toml").write_text(
        '[[accounts]]\nsubdomain = "named"\nid = 424242\nname = "Named Co"\n'
        'currency = "Euro - EUR"\n[[accounts.users]]\nid = 77\nemail = "n@named.example"\n'
        'password = "pw"\nfirst_name = "Nina"\nlast_name = "Named"\n'
        '[[accounts.invoices]]\nclient_id = 5\nnumber = "A-1"\n', encoding="utf-8")
    hv = Harvest(make_client(fixtures=tmp_path), "n@named.example", "pw")
    me = hv.get("/account/who_am_i.json").json()
    assert (me["company"]["name"], me["user"]["id"]) == ("Named Co", 77)
    invoice = _by_number(hv)["A-1"]
    assert (invoice["currency"], invoice["created_by_id"]) == ("Euro - EUR", 77)
