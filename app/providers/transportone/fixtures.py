"""`fixtures/transportone.toml`: demo tenants with their API clients, transporter, settings and
freight invoices in any state. Invoices are read by the same parser and created by the same
commands as `POST /_sandbox/transportone/{tenant}/invoices`."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ...core import tenancy, tokens
from ...core.fixtures import FixtureError, exact_numbers
from ...core.sandbox import Sandbox
from ...core.tables import Tenant
from . import operations, settings, wire
from .auth import PROVIDER
from .errors import TransportOneError


def load(sandbox: Sandbox, session: Session, document: dict[str, Any],
         only_tenant: str | None) -> None:
    now = sandbox.clock.now()
    for spec in document.get("tenants", []):
        key = spec.get("tenant_id")
        if not isinstance(key, str) or not wire.TENANT.match(key):
            raise FixtureError("transportone tenants need a tenant_id (letters, digits, - and _)")
        if only_tenant is not None and key != only_tenant:
            continue
        tenant = tenancy.create(session, PROVIDER, key, now, from_fixture=True)
        try:
            _tenant(sandbox, session, tenant, exact_numbers(spec))
        except TransportOneError as exc:
            raise FixtureError(f"transportone tenant {key}: {exc.message}") from None


def _tenant(sandbox: Sandbox, session: Session, tenant: Tenant, spec: dict[str, Any]) -> None:
    now = sandbox.clock.now()
    assert tenant.id is not None
    for client in spec.get("clients", []):
        client_id, secret = client.get("client_id"), client.get("client_secret")
        if not isinstance(client_id, str) or not isinstance(secret, str):
            raise FixtureError(f"transportone tenant {tenant.key}: clients need client_id and "
                               "client_secret")
        tokens.register_client(session, tenant.id, client_id, secret)
    auto = spec.get("auto_approval")
    if auto is not None:
        reader = wire.Reader(auto, "auto_approval")
        enabled = reader.flag("enabled", False)
        difference = reader.amount("maxDifferenceAmount") or 0
        ceiling = reader.amount("maxInvoiceAmount")
        reader.done()
        settings.set_auto_approval(session, tenant, now, enabled=enabled,
                                   max_difference_minor=difference, max_total_minor=ceiling)
    callback = spec.get("erp_callback")
    if callback is not None:
        settings.set_erp_callback(session, tenant, str(callback["url"]), callback.get("secret"))
    transporter = spec.get("transporter", {})
    defaults = {"transporterId": transporter.get("id"), "transporterName": transporter.get("name")}
    for i, raw in enumerate(spec.get("invoices", [])):
        try:
            invoice = wire.invoice_spec({**defaults, **raw})
            operations.create_invoice(session, tenant, invoice, now)
        except TransportOneError as exc:
            raise FixtureError(f"transportone tenant {tenant.key} invoice #{i + 1}: "
                               f"{exc.message}") from None
    for i, raw in enumerate(spec.get("charges", [])):
        reader = wire.Reader(raw, f"charges[{i}]")
        charge = wire.charge(reader, creating=True)
        reader.done()
        operations.create_charge(session, tenant, charge, now)
