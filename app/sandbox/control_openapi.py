"""The control plane's OpenAPI document, saying what the handlers really answer.

FastAPI documents every operation with a parameter as 200/422, but the control plane parses its
own input and never answers 422: it answers `{"error": {"code", "message"}}` with 400, 404, 409,
413 and so on. The generated document is corrected here, once, from the table below; every
operation also documents the guard's 401 (a token is configured and missing) and 403 (another
site, or a Host not allowed).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_REF = {"$ref": "#/components/schemas/ControlError"}
REASONS = {
    400: "Malformed input (bad JSON, unknown keys, values out of range, unknown provider), or a "
         "snapshot of another format version",
    401: "A control token is configured and the call did not carry it",
    402: "The card was declined",
    403: "Refused by the guard: a cross-site write, or a Host not in the allowed hosts",
    404: "No such resource",
    409: "The resource's state does not allow the change",
    413: "The request body is too large",
    500: "The fixtures could not be loaded",
}
GUARD = (401, 403)
_T1 = "/_sandbox/transportone/{tenant}"
_P1 = "/_sandbox/payone/merchants/{merchant_id}"

# (method, path) -> the error statuses the handler answers besides success.
ERRORS: dict[tuple[str, str], tuple[int, ...]] = {
    ("get", "/_sandbox/health"): (),
    ("post", "/_sandbox/reset"): (400, 500),
    ("get", "/_sandbox/clock"): (),
    ("post", "/_sandbox/clock"): (400, 413),
    ("get", "/_sandbox/openapi/{provider}.json"): (404,),
    ("get", "/_sandbox/deliveries"): (400,),
    ("get", "/_sandbox/requests"): (400,),
    ("delete", "/_sandbox/requests"): (),
    ("get", "/_sandbox/faults"): (),
    ("post", "/_sandbox/faults"): (400, 413),
    ("delete", "/_sandbox/faults"): (),
    ("get", "/_sandbox/faults/{rule_id}"): (404,),
    ("delete", "/_sandbox/faults/{rule_id}"): (404,),
    ("post", "/_sandbox/checkout/{token}/pay"): (400, 402, 404, 409, 413),
    ("get", "/_sandbox/snapshot"): (400,),
    ("get", "/_sandbox/overview"): (),
    ("get", "/_sandbox/tenants"): (400,),
    ("get", "/_sandbox/invoices"): (400,),
    ("get", "/_sandbox/invoices/{provider}/{invoice_id}"): (404,),
    ("get", "/_sandbox/requests/stream"): (400,),
    ("post", "/_sandbox/snapshot"): (400, 409, 413),
    ("get", _P1): (404,),
    ("post", _P1): (400, 404, 413),
    ("post", f"{_P1}/invoices/{{invoice_id}}/approve-refund"): (404, 409),
    ("post", f"{_T1}/invoices"): (400, 404, 409, 413),
    ("post", f"{_T1}/invoices/{{unique_code}}/{{action}}"): (400, 404, 409, 413),
    ("get", f"{_T1}/erp-callback"): (400, 404),
    ("put", f"{_T1}/erp-callback"): (400, 404, 413),
    ("post", f"{_T1}/erp-callback"): (400, 404, 413),
    ("delete", f"{_T1}/erp-callback"): (400, 404),
    ("get", f"{_T1}/autoapproval-configuration"): (400, 404),
    ("put", f"{_T1}/autoapproval-configuration"): (400, 404, 413),
    ("post", f"{_T1}/autoapproval-configuration"): (400, 404, 413),
}

COMPONENTS: dict[str, Any] = {
    "schemas": {
        "ControlError": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }},
        },
    },
    "securitySchemes": {
        "bearerToken": {"type": "http", "scheme": "bearer",
                        "description": "the --control-token, when one is configured"},
        "sandboxToken": {"type": "apiKey", "in": "header", "name": "X-Sandbox-Token"},
        "sandboxCookie": {"type": "apiKey", "in": "cookie", "name": "sandbox_token",
                          "description": "set by opening /_sandbox/ui?token=TOKEN"},
    },
}


def _error(status: int) -> dict[str, Any]:
    return {"description": REASONS.get(status, "Error"),
            "content": {"application/json": {"schema": ERROR_REF}}}


def correct(document: dict[str, Any]) -> dict[str, Any]:
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses: dict[str, Any] = operation["responses"]
            responses.pop("422", None)
            for status in (*ERRORS.get((method, path), ()), *GUARD):
                responses[str(status)] = _error(status)
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas.update(COMPONENTS["schemas"])
    components["securitySchemes"] = COMPONENTS["securitySchemes"]
    # No token is needed unless one is configured: "none" is one of the alternatives.
    document["security"] = [{}, {"bearerToken": []}, {"sandboxToken": []},
                            {"sandboxCookie": []}]
    return document


def install(application: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if application.openapi_schema is None:
            application.openapi_schema = correct(get_openapi(
                title=application.title, version=application.version,
                description=application.description, routes=application.routes))
        return application.openapi_schema

    application.openapi = openapi  # type: ignore[method-assign]
