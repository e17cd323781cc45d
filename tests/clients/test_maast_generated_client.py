"""A Python client generated at test time from the sandbox's own Maast OpenAPI document (by
`openapi-python-client`) runs every operation against a served sandbox, and every answer
deserializes into the documented model with nothing lost or left over."""

from __future__ import annotations

import base64
import importlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytest.importorskip("openapi_python_client")

SPEC = (Path(__file__).resolve().parents[2] / "app" / "providers" / "maast" / "openapi.json")
PACKAGE = "maast_generated"
CONFIG = (f"package_name_override: {PACKAGE}\nproject_name_override: {PACKAGE}\n"
          # Qualpay's tran_status values repeat letters in other cases: keep them literal.
          "literal_enums: true\npost_hooks: []\n")
OPERATIONS = 15


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    where = tmp_path_factory.mktemp("maast-client")
    (where / "config.yml").write_text(CONFIG, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(SPEC),
         "--meta", "none", "--output-path", str(where / PACKAGE), "--config",
         str(where / "config.yml")], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


class Runner:
    """Calls operations of the generated client and checks each answer."""

    def __init__(self, package: ModuleType, base_url: str, key: str) -> None:
        self.package = package
        client_module = importlib.import_module(f"{PACKAGE}.client")
        token = base64.b64encode(f":{key}".encode()).decode()
        self.client = client_module.AuthenticatedClient(
            base_url=f"{base_url}/platform", token=token, prefix="Basic",
            raise_on_unexpected_status=True)
        self.ran: list[str] = []

    def model(self, name: str, data: dict[str, Any]) -> Any:
        module = importlib.import_module(f"{PACKAGE}.models")
        return getattr(module, name).from_dict(data)

    def run(self, operation: str, expected: str, *args: Any, **kwargs: Any) -> Any:
        tag = "invoice_payments" if "payment" in operation else "invoices"
        module = importlib.import_module(f"{PACKAGE}.api.{tag}.{operation}")
        response = module.sync_detailed(*args, client=self.client, **kwargs)
        assert response.status_code == 200, response.content
        parsed = response.parsed
        assert type(parsed).__name__ == expected, (operation, response.content)
        sent = json.loads(response.content)
        assert _plain(parsed.to_dict()) == sent, operation  # nothing lost, nothing left over
        assert not _extra(parsed), (operation, _extra(parsed))
        self.ran.append(operation)
        return sent.get("data")


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _extra(model: Any) -> list[str]:
    """Keys the document does not name, anywhere in the parsed answer."""
    found: list[str] = []
    stack = [model]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        extra = getattr(item, "additional_properties", None)
        if isinstance(extra, dict):
            found.extend(f"{type(item).__name__}.{key}" for key in extra)
            stack.extend(value for key, value in vars(item).items()
                         if key != "additional_properties")
    return found


def invoice_body(number: str) -> dict[str, Any]:
    return {
        "customer_id": "GEN-1", "invoice_number": number, "save_customer": True,
        "billing_contact": {"first_name": "Grace", "last_name": "Hopper",
                            "email_address": "grace@example.com"},
        "date_invoice": "2026-03-01", "payment_terms": {"type": "DAYS", "value": "10"},
        "line_items": [{"quantity": 3, "description": "Compiler", "unit_cost": 12.5}],
    }


def test_every_operation_of_the_generated_client(generated: ModuleType,
                                                 served: Callable[..., Any]) -> None:
    server = served("--fixtures", "none")
    api = Runner(generated, server.url, "generated-client-key")
    made = api.run("create_invoice", "InvoiceResponse",
                   body=api.model("CreateInvoiceRequest", invoice_body("GEN-1")))
    i = made["invoice_id"]
    assert (made["status"], made["amt_tran"]) == ("SAVED", 37.5)
    api.run("list_invoices", "InvoiceListResponse")
    api.run("get_invoice", "InvoiceResponse", i)
    api.run("update_draft_invoice", "InvoiceResponse", i,
            body=api.model("UpdateDraftRequest", {"footer_note": "Thanks"}))
    cash = api.run("add_invoice_payment", "InvoicePaymentResponse", i, body=api.model(
        "InvoicePaymentRequest", {"type": "CASH", "amt_paid": 5, "date_payment": "2026-03-02"}))
    api.run("update_invoice_payment", "InvoicePaymentResponse", i, cash["payment_id"],
            body=api.model("InvoicePaymentRequest",
                           {"type": "CHECK", "amt_paid": 7.5, "date_payment": "2026-03-02"}))
    api.run("list_invoice_payments_by_id", "InvoicePaymentListResponse", i)
    api.run("list_all_invoice_payments", "InvoicePaymentListResponse")
    api.run("remove_invoice_payment", "EmptyDataResponse", i, cash["payment_id"])
    sent = api.run("send_invoice", "InvoiceResponse", i, body=api.model(
        "SendInvoiceRequest", {"email_address": ["bounce-gen@example.com"]}))
    assert sent["status"] == "OUTSTANDING"
    api.run("update_outstanding_invoice", "InvoiceResponse", i,
            body=api.model("UpdateOutstandingRequest", {"from_contact": {
                "firm_name": "Gen Co", "phone": "555", "email_address": "gen@example.com"}}))
    resent = api.run("resend_invoice", "ResendResponse", i, body=api.model(
        "ResendInvoiceRequest", {"email_address": ["bounce-again@example.com"]}))
    assert resent["invoice_id"] == i
    bounced = api.run("list_bounced_invoices", "BouncedInvoiceListResponse", order_by="asc")
    assert [(b["send_code"], b["recipient"]) for b in bounced] == [
        ("O", ["bounce-gen@example.com"]), ("A", ["bounce-again@example.com"])]
    copy = api.run("copy_invoice", "InvoiceResponse", i,
                   body=api.model("CopyInvoiceRequest", {"invoice_number": "GEN-2"}))
    canceled = api.run("cancel_invoice", "InvoiceResponse", copy["invoice_id"])
    assert canceled["status"] == "CANCELED"
    assert len(set(api.ran)) == OPERATIONS


def test_the_generated_client_reads_errors(generated: ModuleType,
                                           served: Callable[..., Any]) -> None:
    server = served("--fixtures", "none")
    api = Runner(generated, server.url, "generated-client-key")
    module = importlib.import_module(f"{PACKAGE}.api.invoices.get_invoice")
    response = module.sync_detailed(987654, client=api.client)
    assert response.status_code == 400  # Maast: code 2, "Invalid invoice_id"
    assert type(response.parsed).__name__ == "ErrorResponse"
    assert response.parsed.to_dict() == json.loads(response.content)
