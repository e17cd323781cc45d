"""Settling authorized and paid invoices: capture (complete) a pre-authorization, refund.

Provider-neutral rules, run inside the caller's transaction:

* capture only an invoice the lifecycle lets `complete` (an authorized one), in the currency it
  was authorized in, for more than 0 and no more than the authorized amount; the captured amount
  is what can later be refunded (the rest of the authorization is released);
* refund only an invoice the lifecycle lets `refund`, for more than 0 and no more than what was
  captured and not yet refunded; a refund that needs approval waits in its own state and moves
  money only when approved.

The captured and pending-refund amounts live in `Invoice.attrs` under the keys below, in minor
units: no provider renders them as they are.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from . import invoices
from .errors import RuleViolation, TransitionRefused
from .tables import Invoice

CAPTURED = "captured_minor"
PENDING_REFUND = "pending_refund_minor"


def refundable_minor(invoice: Invoice) -> int:
    """What can still be given back: the captured amount (or all paid) less refunds so far."""
    captured = invoice.attrs.get(CAPTURED)
    base = invoice.paid_minor if captured is None else int(captured)
    return base - invoice.refunded_minor


def complete(session: Session, invoice: Invoice, now: datetime, *, amount_minor: int,
             currency: str, action: str = "complete") -> None:
    """Capture `amount_minor` of an authorized invoice."""
    lc = invoices.lifecycle_of(invoice)
    if not lc.allows(action, invoice.status):
        if CAPTURED in invoice.attrs:
            raise RuleViolation("already_completed", "the authorization was already captured")
        raise RuleViolation("not_authorized",
                            f"a {invoice.status} invoice has no authorization to capture")
    if currency != invoice.currency:
        raise RuleViolation("currency_mismatch",
                            "the capture currency differs from the authorized currency")
    if amount_minor <= 0 or amount_minor > invoice.paid_minor:
        raise RuleViolation("capture_amount",
                            "the capture amount must be > 0 and not above the authorized amount")
    invoices.transition(session, invoice, action, now)
    invoice.attrs = {**invoice.attrs, CAPTURED: amount_minor}
    session.add(invoice)


def refund(session: Session, invoice: Invoice, now: datetime, *, amount_minor: int | None,
           needs_approval: bool = False) -> int:
    """Refund `amount_minor` (default: all refundable); returns the amount. With
    `needs_approval` the refund only waits for `approve_refund`."""
    lc = invoices.lifecycle_of(invoice)
    if not lc.allows("refund", invoice.status):
        if lc.allows("complete", invoice.status):
            raise RuleViolation("not_captured", "an authorization must be captured before a refund")
        raise RuleViolation("not_refundable", f"a {invoice.status} invoice cannot be refunded")
    refundable = refundable_minor(invoice)
    amount = refundable if amount_minor is None else amount_minor
    if amount <= 0 or amount > refundable:
        raise RuleViolation("refund_amount",
                            "the refund amount must be > 0 and not above the refundable amount")
    if needs_approval:
        invoices.transition(session, invoice, "request_refund", now)
        invoice.attrs = {**invoice.attrs, PENDING_REFUND: amount}
        session.add(invoice)
    else:
        invoices.refund(session, invoice, amount, "refund", now)
    return amount


def approve_refund(session: Session, invoice: Invoice, now: datetime) -> int:
    """Carry out a refund that was waiting for approval; returns the amount."""
    amount = invoice.attrs.get(PENDING_REFUND)
    if amount is None or not invoices.lifecycle_of(invoice).allows("approve_refund",
                                                                    invoice.status):
        raise TransitionRefused("approve_refund", invoice.status,
                                f"a {invoice.status} invoice has no refund awaiting approval")
    invoices.refund(session, invoice, int(amount), "approve_refund", now)
    invoice.attrs = {k: v for k, v in invoice.attrs.items() if k != PENDING_REFUND}
    session.add(invoice)
    return int(amount)
