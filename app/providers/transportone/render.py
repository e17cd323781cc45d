"""Core rows -> TransportOne JSON: camelCase, amounts as JSON numbers in rupees (except
`differenceAmount`, a string as in the documented examples: `""` when there is no difference),
timestamps as epoch milliseconds, absent values as null (clients read fixed keys)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ...core import items, money
from ...core.invoices import AnyInvoice
from ...core.tables import Invoice, InvoiceItem, Payment
from .wire import CURRENCY, millis

SUCCESS = {"message": "Success", "status": "success"}


def envelope(data: Any) -> dict[str, Any]:
    return {"data": data, **SUCCESS}


def amount(minor: int) -> int | float:
    """A JSON number without binary noise: 1500, 1234.5."""
    value = money.from_minor(minor, CURRENCY)
    return int(value) if value == value.to_integral_value() else float(value)


def difference(minor: int) -> str:
    """`differenceAmount` as documented: the amount as text, `""` when there is none."""
    return "" if minor == 0 else str(money.from_minor(minor, CURRENCY))


def ms(instant: datetime | None) -> int | None:
    return None if instant is None else millis(instant)


def _stamp(row: AnyInvoice, name: str) -> int | None:
    raw = row.stamps.get(name)
    return None if raw is None else millis(datetime.fromisoformat(raw.replace("Z", "+00:00")))


def _day(row: AnyInvoice, attr: str, day: Any) -> int | None:
    if row.attrs.get(attr) is not None:
        return int(row.attrs[attr])
    return None if day is None else millis(datetime(day.year, day.month, day.day, tzinfo=UTC))


_APPROVAL = {"SUBMITTED": "LEVEL_1", "REJECTED": "REJECTED", "APPROVED": "APPROVED",
             "PARTIALLY_PAID": "APPROVED", "PAID": "APPROVED"}


def invoice(row: AnyInvoice, charges: list[InvoiceItem] | None = None) -> dict[str, Any]:
    a = row.attrs
    system = items.system_total(row)
    outstanding = 0 if row.status == "CANCELLED" else row.balance_minor
    out: dict[str, Any] = {
        "uniqueCode": row.ref,
        "invoiceNumber": row.number,
        "state": row.status,
        "approvalState": _APPROVAL.get(row.status),
        "transporterId": a.get("transporter_id"),
        "transporterName": a.get("transporter_name"),
        "totalAmount": amount(row.total_minor),
        "systemAmount": amount(system),
        "differenceAmount": difference(row.total_minor - system),
        "paidAmount": amount(row.paid_minor),
        "outstandingAmount": amount(outstanding),
        "currency": CURRENCY,
        "invoiceDate": _day(row, "invoice_date_ms", row.issue_date),
        "dueDate": _day(row, "due_date_ms", row.due_date),
        "submittedAt": _stamp(row, "submitted_at"),
        "approvedAt": _stamp(row, "approved_at"),
        "approvedBy": a.get("approved_by"),
        "rejectedAt": _stamp(row, "rejected_at"),
        "shipperRejectionReasons": list(a.get("rejection_reasons") or []),
        "shipperRejectionRemark": a.get("rejection_remark"),
        "cancelledAt": _stamp(row, "cancelled_at"),
        "cancellationReason": a.get("cancellation_reason"),
        "createdAt": ms(row.created_at),
        "updatedAt": ms(row.updated_at),
    }
    if charges is not None:
        out["charges"] = [charge(c, row) for c in charges]
    return out


def charge(item: InvoiceItem, owner: AnyInvoice | None) -> dict[str, Any]:
    a = item.attrs
    owner_attrs = owner.attrs if owner is not None else {}
    return {
        "uniqueCode": item.ref,
        "chargeHead": a.get("charge_head"),
        "chargeType": a.get("charge_type"),
        "status": item.status,
        "amount": amount(item.amount_minor),
        "systemAmount": amount(items.system_amount(item)),
        "amountUpdatedBy": a.get("amount_updated_by"),
        "indentId": a.get("indent_id"),
        "transporterId": a.get("transporter_id") or owner_attrs.get("transporter_id"),
        "invoiceId": owner.ref if owner is not None else None,
        "invoiceNumber": owner.number if owner is not None else None,
        "invoiceStatus": owner.status if owner is not None else None,
        "supportingDocs": list(a.get("supporting_docs") or []),
        "transporterRemarks": a.get("transporter_remarks"),
        "shipperRejectionReason": a.get("rejection_reason"),
        "createdAt": ms(item.created_at),
        "updatedAt": ms(item.updated_at),
    }


def payment(row: Payment, owner: Invoice) -> dict[str, Any]:
    a = row.attrs
    return {
        "paymentId": a.get("payment_id"),
        "invoiceId": owner.ref,
        "invoiceNumber": owner.number,
        "paymentType": row.method,
        "totalAmount": amount(int(a.get("total_minor", row.amount_minor))),
        "appliedAmount": amount(row.amount_minor),
        "paymentDate": ms(row.paid_at),
        "referenceNumber": a.get("reference_number"),
        "paymentStatus": "APPLIED",
        "bankDetails": a.get("bank_details"),
        "paymentRemarks": a.get("payment_remarks"),
        "appliedBy": a.get("applied_by"),
        "appliedAt": ms(row.created_at),
        "createdAt": ms(row.created_at),
        "updatedAt": ms(row.updated_at),
        "isDeleted": False,
    }
