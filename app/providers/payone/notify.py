"""The payment push notification: after each successful card payment, the `Response.*`
parameters are POSTed form-encoded to the merchant's notification URL through the outbox
(retried with backoff, every attempt recorded, see `GET /_sandbox/deliveries?provider=payone`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session

from ...core import tenant_config, webhooks
from ...core.tables import Invoice, Payment

EVENT = "payment"
NOTIFICATION_URL = "notification_url"


def parameters(merchant_id: str, invoice: Invoice, payment: Payment) -> list[tuple[str, str]]:
    a = payment.attrs
    return [
        ("Response.MerchantID", merchant_id),
        ("Response.InvoiceId", invoice.ref or ""),
        # The provider documents PAID for every payment notification, pre-auth included.
        ("Response.InvoiceStatus", "PAID"),
        ("Response.Amount", str(payment.amount_minor)),
        ("Response.CurrencyISOCode", invoice.currency),
        ("Response.RRN", str(a.get("rrn", ""))),
        ("Response.ApprovalCode", str(a.get("approval_code", ""))),
        ("Response.MaskedCardNumber", str(a.get("card_masked", ""))),
        ("Response.CardType", str(a.get("card_type", ""))),
    ]


def on_card_payment(session: Session, *, invoice: Invoice, payment: Payment, now: datetime,
                    **_: Any) -> None:
    tenant = tenant_config.owner_of(session, invoice)
    url = tenant.attrs.get(NOTIFICATION_URL)
    if not url:
        return
    webhooks.enqueue(
        session, provider="payone", tenant_id=tenant.id, event=EVENT, url=str(url),
        body=urlencode(parameters(tenant.key, invoice, payment)).encode("ascii"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
