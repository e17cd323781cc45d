"""Core rows -> SmartLink JSON, with the key casing and value types of the real service:
amounts are minor-unit strings, inquireInvoice's `currency` is a number, dates are
`dd-MM-yyyy HH:mm:ss` in the provider's home zone (UTC+3), card fields are "" until paid.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from ...core.tables import Invoice, Payment
from . import qr

HOME_ZONE = timezone(timedelta(hours=3))
PRE_AUTH = "PreAuth"


def timestamp(instant: datetime | None) -> str:
    if instant is None:
        return ""
    return instant.astimezone(HOME_ZONE).strftime("%d-%m-%Y %H:%M:%S")


def invoice_type(row: Invoice) -> str:
    return PRE_AUTH if row.kind == PRE_AUTH else "Payment"


def qr_code(row: Invoice, link: str) -> str:
    return qr.png_base64(link) if row.attrs.get("generateQRCode") == "yes" else ""


def created(row: Invoice, link: str) -> dict[str, Any]:
    """One element of createInvoice's `invoicesDetails`."""
    return {
        "invoiceID": row.ref,
        "amount": str(row.total_minor),
        "currency": row.currency,
        "paymentLink": link,
        "qrCode": qr_code(row, link),
        "type": invoice_type(row),
        "invoiceStatus": row.status,
        "expiryDateTime": timestamp(row.expires_at),
    }


def inquiry(row: Invoice, merchant_id: str, token: str, link: str,
            card: Payment | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "amount": str(row.total_minor),
        "qrCode": qr_code(row, link),
        "merchantID": merchant_id,
        "cardType": card.attrs.get("card_type", "") if card else "",
        "invoiceID": row.ref,
        "currency": int(row.currency),
        "paymentLink": link,
        "type": invoice_type(row),
        "invoiceStatus": row.status,
        "expiryDateTime": timestamp(row.expires_at),
        "cardNumber": card.attrs.get("card_masked", "") if card else "",
        "authenticationToken": token,
    }
    if card is not None:
        out["rrn"] = card.attrs.get("rrn", "")
        out["approvalCode"] = card.attrs.get("approval_code", "")
    return out


def acknowledged(invoice_id: str, status: str, token: str) -> dict[str, Any]:
    """deactivateInvoice / activateInvoice (and refundInvoice) answers."""
    return {"invoiceID": invoice_id, "status": status, "authenticationToken": token}
