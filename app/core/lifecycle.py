"""The lifecycle engine: one declarative transition table per provider, read by `apply`.

An action names the states it may start from and the state it leads to. `SETTLE` as a target
means "whatever the provider's settle rule says for the current balance" (e.g. PAID once
nothing is due); `STAY` keeps the status and only checks that the action is allowed. Guards are
extra rules evaluated on the invoice (e.g. "a partially paid invoice cannot be cancelled").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from .clock import iso_utc
from .errors import RuleViolation, TransitionRefused
from .tables import Invoice

SETTLE = "<settle>"
STAY = "<stay>"

Guard = Callable[[Invoice], RuleViolation | None]
Settle = Callable[[Invoice], str]


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    guards: tuple[Guard, ...] = ()
    set_stamps: tuple[str, ...] = ()  # overwrite these timestamps
    first_stamps: tuple[str, ...] = ()  # set only when absent
    clear_stamps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lifecycle:
    provider: str
    initial: str
    states: frozenset[str]
    transitions: Mapping[str, Transition]
    settle: Settle
    # Entered by the clock, not by a request: (states it applies to, target state).
    expiry: tuple[frozenset[str], str] | None = None

    def allows(self, action: str, status: str) -> bool:
        transition = self.transitions.get(action)
        return transition is not None and status in transition.sources


def apply(lifecycle: Lifecycle, invoice: Invoice, action: str, now: datetime) -> str:
    """Check and perform `action` on `invoice` in memory; the caller's transaction persists it."""
    transition = lifecycle.transitions.get(action)
    if transition is None:
        raise KeyError(f"{lifecycle.provider} lifecycle has no action {action!r}")
    if invoice.status not in transition.sources:
        raise TransitionRefused(action, invoice.status)
    for guard in transition.guards:
        violation = guard(invoice)
        if violation is not None:
            raise violation
    stamps = dict(invoice.stamps)
    stamp = iso_utc(now)
    for name in transition.set_stamps:
        stamps[name] = stamp
    for name in transition.first_stamps:
        stamps.setdefault(name, stamp)
    for name in transition.clear_stamps:
        stamps.pop(name, None)
    invoice.stamps = stamps
    if transition.target == SETTLE:
        target = lifecycle.settle(invoice)
    elif transition.target == STAY:
        target = invoice.status
    else:
        target = transition.target
    _enter(lifecycle, invoice, target, now)
    return target


def settle(lifecycle: Lifecycle, invoice: Invoice, now: datetime) -> str:
    """Re-derive the status after the paid amount changed."""
    target = lifecycle.settle(invoice)
    _enter(lifecycle, invoice, target, now)
    return target


def expire_if_due(lifecycle: Lifecycle, invoice: Invoice, now: datetime) -> bool:
    """Move an invoice whose validity is over into the expiry state; True when it moved."""
    if lifecycle.expiry is None or invoice.expires_at is None or invoice.expires_at > now:
        return False
    sources, target = lifecycle.expiry
    if invoice.status not in sources:
        return False
    _enter(lifecycle, invoice, target, now)
    return True


def _enter(lifecycle: Lifecycle, invoice: Invoice, target: str, now: datetime) -> None:
    if target not in lifecycle.states:
        raise ValueError(f"{lifecycle.provider}: {target!r} is not a declared state")
    if target != invoice.status:
        stamps = dict(invoice.stamps)
        stamps[f"entered_{target.lower()}_at"] = iso_utc(now)
        invoice.stamps = stamps
    invoice.status = target
    invoice.updated_at = now
