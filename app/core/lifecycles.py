"""Every provider's invoice lifecycle, declared as data. The engine is `app.core.lifecycle`.

Payment changes are actions too (`record_payment`, `change_payment`, `remove_payment`), so the
states in which money may move are declared here next to the state changes.
"""

from __future__ import annotations

from .errors import RuleViolation
from .lifecycle import SETTLE, STAY, Lifecycle, Transition
from .tables import Invoice


def _t(sources: set[str], target: str, **kw: object) -> Transition:
    return Transition(frozenset(sources), target, **kw)  # type: ignore[arg-type]


def _no_payments(invoice: Invoice) -> RuleViolation | None:
    if invoice.paid_minor > 0:
        return RuleViolation("has_payments", "an invoice with payments cannot be canceled")
    return None


# --- Maast: SAVED -> OUTSTANDING -> PAID, CANCELED; PAID and CANCELED are locked. -------------
def _maast_settle(invoice: Invoice) -> str:
    return "PAID" if invoice.balance_minor <= 0 else invoice.status


_MAAST_OPEN = {"SAVED", "OUTSTANDING"}
MAAST = Lifecycle(
    provider="maast",
    initial="SAVED",
    states=frozenset({"SAVED", "OUTSTANDING", "PAID", "CANCELED"}),
    settle=_maast_settle,
    transitions={
        "edit_draft": _t({"SAVED"}, STAY),
        "edit_outstanding": _t({"OUTSTANDING"}, STAY),
        "send": _t(_MAAST_OPEN, "OUTSTANDING", first_stamps=("sent_at",)),
        "resend": _t({"OUTSTANDING", "PAID"}, STAY),
        "cancel": _t(_MAAST_OPEN, "CANCELED", guards=(_no_payments,)),
        "record_payment": _t(_MAAST_OPEN, SETTLE),
        "change_payment": _t(_MAAST_OPEN, SETTLE),
        "remove_payment": _t(_MAAST_OPEN, SETTLE),
    },
)


# --- Harvest: draft -> open -> partial -> paid; closed (written off); re-open. --------------
def _harvest_settle(invoice: Invoice) -> str:
    # A written-off invoice stays closed when an edit changes its amount; only re_open
    # (which clears the stamp first) brings it back.
    if "closed_at" in invoice.stamps:
        return "closed"
    if "sent_at" not in invoice.stamps:
        return "draft"
    # Paid means settled by payments: a sent invoice nobody has paid yet is open, even if an
    # edit brought its amount to zero, so an amount edit without payments never moves state.
    if invoice.paid_minor <= 0:
        return "open"
    return "paid" if invoice.balance_minor <= 0 else "partial"


_HARVEST_MONEY = {"draft", "open", "partial", "paid"}
HARVEST = Lifecycle(
    provider="harvest",
    initial="draft",
    states=frozenset({"draft", "open", "partial", "paid", "closed"}),
    settle=_harvest_settle,
    transitions={
        "edit": _t(_HARVEST_MONEY | {"closed"}, STAY),
        "delete": _t(_HARVEST_MONEY | {"closed"}, STAY),
        "send": _t(_HARVEST_MONEY, SETTLE, first_stamps=("sent_at",)),
        "mark_as_sent": _t({"draft"}, SETTLE, first_stamps=("sent_at",)),
        "mark_as_closed": _t({"open", "partial"}, "closed", set_stamps=("closed_at",)),
        "re_open": _t({"closed"}, SETTLE, clear_stamps=("closed_at",)),
        "mark_as_draft": _t({"open"}, "draft", clear_stamps=("sent_at",)),
        "record_payment": _t(_HARVEST_MONEY, SETTLE),
        "remove_payment": _t(_HARVEST_MONEY, SETTLE),
    },
)


# --- PayOne SmartLink: NEW -> PAID | AUTHORIZED -> PAID; refunds; INACTIVE; EXPIRED. ---------
def _payone_settle(invoice: Invoice) -> str:
    if invoice.balance_minor > 0:
        return invoice.status
    return "AUTHORIZED" if invoice.kind == "PreAuth" else "PAID"


PAYONE = Lifecycle(
    provider="payone",
    initial="NEW",
    states=frozenset(
        {"NEW", "PAID", "EXPIRED", "INACTIVE", "AUTHORIZED", "REFUNDED", "PENDING_REFUND_APPROVAL"}
    ),
    settle=_payone_settle,
    expiry=(frozenset({"NEW", "INACTIVE"}), "EXPIRED"),
    transitions={
        "deactivate": _t({"NEW"}, "INACTIVE", set_stamps=("deactivated_at",)),
        "activate": _t({"INACTIVE"}, "NEW", set_stamps=("activated_at",)),
        "record_payment": _t({"NEW"}, SETTLE),
        "complete": _t({"AUTHORIZED"}, "PAID", set_stamps=("completed_at",)),
        "refund": _t({"PAID"}, "REFUNDED", set_stamps=("refunded_at",)),
        "request_refund": _t({"PAID"}, "PENDING_REFUND_APPROVAL",
                             set_stamps=("refund_requested_at",)),
        "approve_refund": _t({"PENDING_REFUND_APPROVAL"}, "REFUNDED", set_stamps=("refunded_at",)),
    },
)


# --- TransportOne: DRAFT -> SUBMITTED -> APPROVED -> PARTIALLY_PAID -> PAID; REJECTED; CANCELLED.
def _transportone_settle(invoice: Invoice) -> str:
    if invoice.balance_minor <= 0:
        return "PAID"
    return "PARTIALLY_PAID" if invoice.paid_minor > 0 else "APPROVED"


TRANSPORTONE = Lifecycle(
    provider="transportone",
    initial="DRAFT",
    states=frozenset(
        {"DRAFT", "SUBMITTED", "APPROVED", "REJECTED", "PARTIALLY_PAID", "PAID", "CANCELLED"}
    ),
    settle=_transportone_settle,
    transitions={
        "submit": _t({"DRAFT", "REJECTED"}, "SUBMITTED", set_stamps=("submitted_at",)),
        "approve": _t({"SUBMITTED"}, "APPROVED", set_stamps=("approved_at",)),
        "reject": _t({"SUBMITTED"}, "REJECTED", set_stamps=("rejected_at",)),
        "cancel": _t({"DRAFT", "SUBMITTED", "REJECTED"}, "CANCELLED", set_stamps=("cancelled_at",)),
        "edit_charges": _t({"DRAFT", "SUBMITTED", "REJECTED"}, STAY),
        "record_payment": _t({"APPROVED", "PARTIALLY_PAID"}, SETTLE),
    },
)


LIFECYCLES: dict[str, Lifecycle] = {
    lc.provider: lc for lc in (MAAST, HARVEST, PAYONE, TRANSPORTONE)
}
