"""Submitting an invoice for the payer's approval, and the payer's decision on its items.

The state changes are the lifecycle table's `submit`, `approve`, `reject` and `cancel`; this
module keeps the items in step with them: approving an invoice approves its billable items,
rejected items leave the total, and `review` is the payer's one-call decision (reject some items,
and optionally approve the rest). An approval policy may approve a submitted invoice at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from . import invoices, items
from .errors import RuleViolation, TransitionRefused
from .tables import Invoice

AUTO = "AUTO_APPROVAL"


@dataclass(frozen=True)
class Policy:
    """Approve on submission when the claimed total is close enough to the system's total."""

    enabled: bool = False
    max_difference_minor: int = 0
    max_total_minor: int | None = None

    def approves(self, invoice: Invoice) -> bool:
        if not self.enabled:
            return False
        difference = abs(invoice.total_minor - items.system_total(invoice))
        if difference > self.max_difference_minor:
            return False
        return self.max_total_minor is None or invoice.total_minor <= self.max_total_minor


@dataclass
class Review:
    approved: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def submit(session: Session, invoice: Invoice, now: datetime, *, policy: Policy | None = None,
           by: str | None = None) -> bool:
    """Submit for approval; True when the policy approved it straight away."""
    invoices.transition(session, invoice, "submit", now)
    _note(invoice, submitted_by=by)
    if policy is not None and policy.approves(invoice):
        approve(session, invoice, now, by=AUTO)
        return True
    return False


def approve(session: Session, invoice: Invoice, now: datetime, *,
            by: str | None = None) -> list[str]:
    """Approve the invoice and every billable item on it; returns the approved item refs."""
    invoices.transition(session, invoice, "approve", now)
    approved = []
    for item in items.items_of(session, invoice):
        if item.status == items.BILLABLE:
            items.set_status(session, item, items.APPROVED, now)
            approved.append(item.ref)
    items.sync_total(session, invoice, now)
    _note(invoice, approved_by=by)
    return approved


def reject(session: Session, invoice: Invoice, now: datetime, *, reasons: list[str],
           remark: str | None = None, by: str | None = None) -> None:
    invoices.transition(session, invoice, "reject", now)
    # A new rejection replaces the reasons of an earlier one.
    invoice.attrs = {**invoice.attrs, "rejection_reasons": list(reasons),
                     "rejection_remark": remark}
    _note(invoice, rejected_by=by)


def review(session: Session, invoice: Invoice, now: datetime, *,
           rejections: list[tuple[str, str | None]], approve_rest: bool,
           by: str | None = None) -> Review:
    """Reject the named items; approve the rest when asked and any is left, else reject."""
    lifecycle = invoices.lifecycle_of(invoice)
    action = "approve" if approve_rest else "reject"
    if not lifecycle.allows(action, invoice.status):
        raise TransitionRefused(action, invoice.status)
    result = Review()
    for ref, reason in rejections:
        item = items.get_item(session, invoice.tenant_id, ref)
        if item.invoice_id != invoice.id:
            raise RuleViolation("item_not_on_invoice", f"item {ref} is not on this invoice")
        items.set_status(session, item, items.REJECTED, now, attrs={"rejection_reason": reason})
        result.rejected.append(ref)
    remaining = [i for i in items.items_of(session, invoice) if i.status == items.BILLABLE]
    if approve_rest and (remaining or not rejections):
        result.approved = approve(session, invoice, now, by=by)
    else:
        reasons = [reason for _, reason in rejections if reason]
        reject(session, invoice, now, reasons=reasons, by=by)
    return result


def cancel(session: Session, invoice: Invoice, now: datetime, *, reason: str | None = None,
           by: str | None = None) -> None:
    invoices.transition(session, invoice, "cancel", now)
    _note(invoice, cancellation_reason=reason, cancelled_by=by)


def _note(invoice: Invoice, **values: object) -> None:
    """Record who did what on the invoice (absent values clear nothing)."""
    changes = {k: v for k, v in values.items() if v is not None}
    if changes:
        invoice.attrs = {**invoice.attrs, **changes}
