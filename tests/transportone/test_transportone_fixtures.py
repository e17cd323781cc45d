"""The bundled demo tenant: credentials, a transporter, invoices in every state, and reset."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from invoice_sandbox.core.fixtures import FixtureError
from invoice_sandbox.main import create_app
from invoice_sandbox.settings import Settings
from transportone_kit import BILLING, detail, login

DEMO = {"tenant": "tms-demo", "client_id": "tms-demo-client", "secret": "tms-demo-secret"}


def test_demo_tenant_has_every_state(demo_client: TestClient) -> None:
    headers = login(demo_client, **DEMO)
    listed = demo_client.get(f"{BILLING}/shipper/invoice/", params={"sortBy": "asc"},
                             headers=headers).json()["data"]
    states = {i["uniqueCode"]: i["state"] for i in listed["invoices"]}
    assert sorted(states.values()) == sorted(["SUBMITTED", "DRAFT", "REJECTED", "APPROVED",
                                              "PARTIALLY_PAID", "PAID", "CANCELLED"])
    assert states["INV-20241201-001"] == "SUBMITTED"
    assert {i["transporterId"] for i in listed["invoices"]} == {"TRN-1001"}
    draft = detail(demo_client, headers, "INV-20241201-002")
    assert draft["totalAmount"] == 38000  # the detention charge is not billable
    partial = detail(demo_client, headers, "INV-20241204-001")
    assert (partial["totalAmount"], partial["paidAmount"]) == (62000, 25000)
    rejected = detail(demo_client, headers, "INV-20241202-001")
    assert rejected["shipperRejectionReasons"] == ["Toll receipts missing"]
    loose = demo_client.get(f"{BILLING}/charge/CHG-20241207-001", headers=headers).json()
    assert loose["data"]["invoiceId"] is None
    config = demo_client.get(f"{BILLING}/autoapproval-configuration/?latest=true",
                             headers=headers).json()["data"]
    assert config["version"] == 1 and config["enabled"] is False


def test_documented_cancel_works_on_the_demo_data_and_reset_restores_it(
        demo_client: TestClient) -> None:
    headers = login(demo_client, **DEMO)
    response = demo_client.post(f"{BILLING}/transporter/cancel-invoice", headers=headers,
                                json={"invoiceId": "INV-20241201-001",
                                      "cancellationReason": "Customer requested cancellation"})
    assert response.json()["data"]["invoiceId"] == "INV-20241201-001"
    assert demo_client.post("/_sandbox/reset", params={"provider": "transportone"}
                            ).status_code == 200
    headers = login(demo_client, **DEMO)  # tokens went with the reset
    assert detail(demo_client, headers, "INV-20241201-001")["state"] == "SUBMITTED"


def test_broken_fixture_names_the_problem(tmp_path: Path,
                                          db_location: Callable[..., str]) -> None:
    (tmp_path / "transportone.toml").write_text(
        '[[tenants]]\ntenant_id = "t1"\n[[tenants.invoices]]\nuniqueCode = "INV-1"\n'
        'invoiceNumber = "N-1"\ntransporterId = "T"\ntransporterName = "X"\n'
        'charges = [{ chargeHead = "Freight Charges", amount = -5 }]\n', encoding="utf-8")
    with pytest.raises(FixtureError) as info:
        create_app(Settings(db=db_location(), fixtures=tmp_path))
    assert "charges[0].amount" in str(info.value) and "t1" in str(info.value)
