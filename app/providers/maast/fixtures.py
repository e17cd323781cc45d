"""`fixtures/maast.toml`: demo tenants, their customer vault and invoices in any state.

Invoices are written as CreateInvoiceRequest fields and go through the same validation and
computation as API requests; `state` and `payments` then drive them through the lifecycle.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from ...core import checkout, customers, invoices, money, tenancy
from ...core.fixtures import FixtureError, exact_numbers
from ...core.sandbox import Sandbox
from ...core.tables import Invoice
from . import compute, invoice_fields
from .auth import MERCHANT_ID_BASE, PROVIDER
from .errors import MaastError

STATES = ("SAVED", "OUTSTANDING", "PAID", "CANCELED")


def load(sandbox: Sandbox, session: Session, document: dict[str, Any],
         only_tenant: str | None) -> None:
    now = sandbox.clock.now()
    for spec in document.get("tenants", []):
        key = spec.get("api_key")
        if not isinstance(key, str) or not key:
            raise FixtureError("maast tenants need an api_key")
        if only_tenant is not None and key != only_tenant:
            continue
        tenant = tenancy.create(session, PROVIDER, key, now, public_id=spec.get("merchant_id"),
                                public_id_base=MERCHANT_ID_BASE, from_fixture=True)
        assert tenant.id is not None
        for customer in spec.get("customers", []):
            customers.save(session, tenant.id, customer["customer_id"],
                           {k: v for k, v in customer.items() if k != "customer_id"}, now)
        for i, raw in enumerate(spec.get("invoices", [])):
            try:
                _invoice(sandbox, session, tenant, exact_numbers(raw), now)
            except MaastError as exc:
                raise FixtureError(f"maast tenant {key} invoice #{i + 1}: {exc.message} "
                                   f"{exc.data or ''}") from None


def _invoice(sandbox: Sandbox, session: Session, tenant: Any, raw: dict[str, Any],
             now: datetime) -> Invoice:
    state = raw.pop("state", "SAVED")
    payments = raw.pop("payments", [])
    if state not in STATES:
        raise FixtureError(f"state must be one of {', '.join(STATES)}")
    row = invoice_fields.create(session, tenant, invoice_fields.validate_create(raw), now)
    if state in ("OUTSTANDING", "PAID"):
        invoices.transition(session, row, "send", now)
        invoices.ensure_checkout_token(row)
    for payment in payments:
        day = compute.parse_date(str(payment["date_payment"]))[0]
        amount = money.to_minor(Decimal(str(payment["amt_paid"])), row.currency)
        invoices.record_payment(
            session, row, now, amount_minor=amount,
            method=payment.get("type", "CASH"),
            paid_at=datetime(day.year, day.month, day.day, tzinfo=UTC),
            attrs={"date_payment": str(payment["date_payment"]), "tran_status": "",
                   **({"description": payment["description"]} if "description" in payment
                      else {})},
        )
    if state == "PAID" and row.balance_minor > 0:
        # Paid the way customers pay: by card at the hosted checkout.
        checkout.pay_by_card(session, invoices.ensure_checkout_token(row), now,
                             amount_minor=None, card_number=None)
    if state == "CANCELED":
        invoices.transition(session, row, "cancel", now)
    return row
