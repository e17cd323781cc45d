"""Core failures. Providers map each to their own status code and body."""

from __future__ import annotations


class CoreError(Exception):
    """Base class; `code` is a stable, provider-neutral reason a provider can translate."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(CoreError):
    code = "not_found"

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"{kind} {ident} not found")
        self.kind = kind
        self.ident = ident


class TransitionRefused(CoreError):
    """The lifecycle table does not allow `action` from the invoice's current state."""

    code = "transition_refused"

    def __init__(self, action: str, status: str, message: str | None = None) -> None:
        verb = action.replace("_", " ")
        super().__init__(message or f"cannot {verb} an invoice in status {status}")
        self.action = action
        self.status = status


class RuleViolation(CoreError):
    """A business rule other than the state table refused the command."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Conflict(CoreError):
    code = "conflict"
