"""SmartLink's error shape `{"Error": "000NN", "ErrorMessage": "..."}` and its code table.

The messages are the published texts, typos included. Business errors answer HTTP 200 like
the real service (clients read `Error` from the body); `--payone-error-status 400` switches
them to 400. Transport problems keep their own status: unknown operation 404, wrong method
405, body too large 413, unexpected fault 500.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from ...core.errors import CoreError, NotFound
from ..edge import json_response
from .paths import FORM_FIELDS, SERVICE_PATH

MESSAGES = {
    "00001": "Missing Merchant ID",
    "00002": "Missing Amount",
    "00003": "Missing Currency Code",
    "00004": "Invalid Amount",
    "00005": "Invalid Currency Code",
    "00006": "Invalid Language",
    "00007": "Merchant Not Available",
    "00008": "Invalid Parameters Values",
    "00009": "Messing Invoice ID",
    "00010": "Duplicate Invoice ID",
    "00011": "Invalid Invoice ID",
    "00012": "Invalid Customer Email Address Format",
    "00013": "Invalid Customer Mobile Number Format",
    "00014": "Invalid Dynamic Fileds Format",
    "00015": "Invalid Expiry Period",
    "00016": "Invalid Payment Description",
    "00017": "Invalid JSON Format",
    "00018": "Invalid Merchant ID",
    "00019": "Abnormal Error",
    "00020": "The Request Has Duplicate Invoice Ids",
    "00021": "Missing Authentication Token",
    "00022": "Invalid Authentication Token",
    "00023": "Missing Invoices Parameter",
    "00024": "Missing Invoices Details",
    "00025": "Missing Customer Email Address",
    "00026": "Missing Customer Mobile Number",
    "00027": "Missing Expiry Period",
    "00028": "Invoice is not found",
    "00029": "Authentication Token Is Not Configured",
    "00030": "Invoice Is Not Suitable for Refund",
    "00031": "Missing Required Dynamic Field",
    "00032": "Invoice Refund Failed",
    "00033": "Invalid Customer ID",
    "00034": "Missing Description",
    "00035": "Invoice To Complete Is Not Pre-Auth",
    "00036": "Transaction Is Already Completed",
    "00037": "Missing Customer Email Address OR Customer Mobile Number",
    "00038": "Pre-Authorized Invoice is not suitable for Refund",
    "00039": "Missing Currency",
    "00042": "Invoice ID Not Found",
    "00043": "Invalid Completion Amount",
    "00044": "Entered Currency Not The Same As Pre-Auth Currency",
}

# Core rule codes (app.core.settlement, lifecycle refusals) -> SmartLink codes.
_FROM_CORE = {
    "not_authorized": "00035",
    "already_completed": "00036",
    "currency_mismatch": "00044",
    "capture_amount": "00043",
    "not_captured": "00038",
    "not_refundable": "00030",
    "refund_amount": "00032",
    "transition_refused": "00008",
}


class PayOneError(Exception):
    """A SmartLink business error; `status` None means "the configured business status"."""

    def __init__(self, code: str, status: int | None = None) -> None:
        super().__init__(f"{code} {MESSAGES[code]}")
        self.code = code
        self.status = status

    def body(self) -> dict[str, str]:
        return {"Error": self.code, "ErrorMessage": MESSAGES[self.code]}

    def response(self, business_status: int = 200) -> Response:
        return json_response(self.body(), self.status or business_status)


def from_core(exc: CoreError, not_found: str = "00028") -> PayOneError:
    if isinstance(exc, NotFound):
        return PayOneError(not_found)
    return PayOneError(_FROM_CORE.get(exc.code, "00008"))


def not_found(request: Request) -> Response:
    """Unknown path or operation: 404; a known operation called with another method: 405."""
    path = request.url.path
    known = path.startswith(SERVICE_PATH) and path[len(SERVICE_PATH):] in FORM_FIELDS
    return PayOneError("00019", 405 if known else 404).response()


def server_error(_: Request) -> Response:
    return PayOneError("00019", 500).response()
