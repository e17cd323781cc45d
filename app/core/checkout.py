"""Card payments as the customer makes them at the hosted checkout (Maast `invoice_link`,
PayOne `paymentLink`). Only this path creates locked CARD payments.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from . import invoices, numbers
from .clock import iso_utc
from .errors import CoreError, RuleViolation
from .tables import Invoice, Payment

DEFAULT_CARD = "4111111111111111"
# Test cards that fail the way a processor would, by reason.
DECLINED_CARDS = {
    "4000000000000002": ("card_declined", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("expired_card", "Your card has expired."),
    "4000000000000119": ("processing_error", "An error occurred while processing your card."),
}

# Every outcome a tester can pick, as shown on the checkout page: (number, outcome, what happens).
TEST_CARDS = (
    (DEFAULT_CARD, "approved", "The payment is approved."),
    *((number, code, message) for number, (code, message) in DECLINED_CARDS.items()),
)
# Why an invoice in a state that takes no payment cannot be paid, by status (any provider).
REFUSALS = {
    "paid": "This invoice has been paid in full.",
    "authorized": "This invoice has already been paid (the payment is authorized).",
    "canceled": "This invoice was canceled by the merchant.",
    "cancelled": "This invoice was canceled by the merchant.",
    "closed": "This invoice was closed by the merchant.",
    "expired": "This payment link has expired.",
    "inactive": "This invoice was deactivated by the merchant.",
    "refunded": "This invoice was paid and then refunded.",
    "pending_refund_approval": "This invoice was paid; a refund is waiting for approval.",
}


def refusal(invoice: Invoice) -> str | None:
    """Why the customer cannot pay this invoice now, or None when they can."""
    if invoices.lifecycle_of(invoice).allows("record_payment", invoice.status):
        if invoice.balance_minor > 0:
            return None
        return REFUSALS["paid"]
    return REFUSALS.get(invoice.status.lower(),
                        f"This invoice cannot be paid while it is {invoice.status}.")


class CardDeclined(CoreError):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = reason


@dataclass(frozen=True)
class CardResult:
    invoice: Invoice
    payment: Payment


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "VISA"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "MASTERCARD"
    if number[:2] in {"34", "37"}:
        return "AMEX"
    if number.startswith("6"):
        return "DISCOVER"
    return "UNKNOWN"


def mask(number: str) -> str:
    return f"{number[:6]}{'*' * (len(number) - 10)}{number[-4:]}"


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def validate_card(number: str) -> str:
    digits = number.replace(" ", "").replace("-", "")
    # ASCII only: a fullwidth "４０００…" is not the test card "4000…" nor any other card.
    if not numbers.is_digits(digits) or not 12 <= len(digits) <= 19 or not _luhn_ok(digits):
        raise RuleViolation("invalid_card", "the card number is not valid")
    return digits


def open_page(session: Session, token: str, now: datetime) -> Invoice:
    """The invoice behind a checkout link. While it can be paid, the view is stamped (Maast
    shows it as `date_last_view`); settled and locked invoices are left untouched."""
    invoice = invoices.find_by_checkout_token(session, token, now)
    if invoices.lifecycle_of(invoice).allows("record_payment", invoice.status):
        invoice.stamps = {**invoice.stamps, "last_viewed_at": iso_utc(now)}
        session.add(invoice)
    return invoice


def pay_by_card(
    session: Session,
    token: str,
    now: datetime,
    *,
    amount_minor: int | None,
    card_number: str | None,
) -> CardResult:
    """Charge the card for `amount_minor` (default: the whole balance) and record it."""
    invoice = invoices.find_by_checkout_token(session, token, now)
    number = validate_card(card_number or DEFAULT_CARD)
    amount = invoice.balance_minor if amount_minor is None else amount_minor
    if amount_minor is not None and amount_minor <= 0:
        raise RuleViolation("amount_not_positive", "the payment amount must be greater than 0")
    if amount != invoice.balance_minor and not invoice.allow_partial:
        raise RuleViolation("partial_not_allowed",
                            "this invoice must be paid in full")
    if number in DECLINED_CARDS:
        # Check the invoice is payable first, so a decline never hides a state problem.
        if not invoices.lifecycle_of(invoice).allows("record_payment", invoice.status):
            raise RuleViolation("not_payable", f"a {invoice.status} invoice cannot be paid")
        raise CardDeclined(*DECLINED_CARDS[number])
    attrs = {
        "pg_id": secrets.token_hex(16),
        "tran_status": "A",
        "card_masked": mask(number),
        "card_type": card_brand(number),
        "rrn": f"{secrets.randbelow(10**12):012d}",
        "approval_code": f"{secrets.randbelow(10**6):06d}",
    }
    payment = invoices.record_payment(
        session, invoice, now, amount_minor=amount, method="CARD", paid_at=now,
        attrs=attrs, locked=True,
    )
    return CardResult(invoice=invoice, payment=payment)
