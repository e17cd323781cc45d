"""TransportOne's error envelope: `{"message", "status": "error", "errorCode"}`."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from ...core.errors import Conflict, CoreError, NotFound, RuleViolation, TransitionRefused
from ...core.idempotency import KeyReused
from ..edge import json_response

VALIDATION_ERROR = "VALIDATION_ERROR"
INVALID_INVOICE_ID = "INVALID_INVOICE_ID"
INVALID_CHARGE_ID = "INVALID_CHARGE_ID"
UNAUTHORIZED = "UNAUTHORIZED"
INVOICE_CANNOT_BE_CANCELLED = "INVOICE_CANNOT_BE_CANCELLED"
INVOICE_NOT_FOUND = "INVOICE_NOT_FOUND"
CHARGE_NOT_FOUND = "CHARGE_NOT_FOUND"
NOT_FOUND = "NOT_FOUND"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
DUPLICATE_REQUEST_ID = "DUPLICATE_REQUEST_ID"
ALREADY_EXISTS = "ALREADY_EXISTS"

# Lifecycle refusals other than cancel (sandbox decision: 403 like the documented cancel case).
_PENDING = "Invoice in state {status} is not pending approval"
_REFUSED = {
    "cancel": (INVOICE_CANNOT_BE_CANCELLED, "Invoice cannot be cancelled in state {status}"),
    "record_payment": ("INVOICE_NOT_PAYABLE",
                       "Payments can only be applied to approved invoices, not {status}"),
    "edit_charges": ("INVOICE_NOT_EDITABLE", "Charges of a {status} invoice cannot be changed"),
    "approve": ("INVOICE_NOT_PENDING_APPROVAL", _PENDING),
    "reject": ("INVOICE_NOT_PENDING_APPROVAL", _PENDING),
    "submit": ("INVOICE_CANNOT_BE_SUBMITTED", "Invoice in state {status} cannot be submitted"),
}


class TransportOneError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> Response:
        return json_response({"message": self.message, "status": "error",
                              "errorCode": self.code}, self.status)


def invalid(problems: dict[str, str]) -> TransportOneError:
    """400 VALIDATION_ERROR naming every failing field."""
    detail = "; ".join(f"{name} {reason}" for name, reason in problems.items())
    return TransportOneError(400, VALIDATION_ERROR, f"Validation failed: {detail}")


def unauthorized(message: str) -> TransportOneError:
    return TransportOneError(401, UNAUTHORIZED, message)


def invoice_not_found(ident: object) -> TransportOneError:
    return TransportOneError(404, INVOICE_NOT_FOUND, f"Invoice {ident} not found")


def from_core(exc: CoreError) -> TransportOneError:
    if isinstance(exc, NotFound):
        if exc.kind == "item":
            return TransportOneError(404, CHARGE_NOT_FOUND, f"Charge {exc.ident} not found")
        return invoice_not_found(exc.ident)
    if isinstance(exc, TransitionRefused):
        code, template = _REFUSED.get(exc.action, ("INVALID_INVOICE_STATE", "{message}"))
        return TransportOneError(403, code, template.format(status=exc.status,
                                                            message=exc.message))
    if isinstance(exc, KeyReused):
        return TransportOneError(409, DUPLICATE_REQUEST_ID,
                                 f"x-coreos-request-id {exc.key} was already used with a "
                                 "different request")
    if isinstance(exc, Conflict):
        return TransportOneError(409, ALREADY_EXISTS, exc.message.replace("item", "charge", 1))
    if isinstance(exc, RuleViolation) and exc.code in _PAYMENT_RULES:
        return invalid({"appliedAmount": _PAYMENT_RULES[exc.code]})
    # The core says "item" where TransportOne says "charge".
    return TransportOneError(400, VALIDATION_ERROR, _sentence(exc.message.replace("item",
                                                                                  "charge")))


_PAYMENT_RULES = {
    "amount_exceeds_balance": "exceeds the outstanding amount of the invoice",
    "amount_not_positive": "must be greater than 0",
}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def not_found(request: Request) -> Response:
    return TransportOneError(404, NOT_FOUND,
                             f"Cannot {request.method} {request.url.path}").response()


def server_error(_: Request) -> Response:
    return TransportOneError(500, INTERNAL_SERVER_ERROR, "Internal server error").response()
