"""`POST /URL2PayAdminWeb/rest/InvoicesService/<operation>`: form in, JSON out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ...core.errors import CoreError
from ...core.sandbox import Sandbox
from ...core.state import note_secret
from ..edge import BodyTooLarge, EdgeRouter, body_limit, json_response, read_body
from . import auth, control, wire
from .errors import PayOneError, from_core
from .operations import OPERATIONS, Context
from .paths import FORM_FIELDS, SERVICE_PATH


def build_router(sandbox: Sandbox) -> APIRouter:
    router = EdgeRouter()
    limit = body_limit(sandbox)
    business_status = int(sandbox.options.get("payone_error_status", 200))

    # The provider API is described in its own document (/_sandbox/openapi/payone.json);
    # the control routes included below belong to the control plane's schema.
    @router.post(SERVICE_PATH + "{operation}", include_in_schema=False)
    async def invoices_service(request: Request, operation: str) -> Response:
        run = OPERATIONS.get(operation)
        if run is None:
            return PayOneError("00019", 404).response()
        try:
            document = wire.form_json(await read_body(request, limit), FORM_FIELDS[operation])
            sent = document.get("authenticationToken")
            note_secret(sent if isinstance(sent, str) else None)  # even a refused one
            merchant_id, token = wire.credentials(document)
            now = sandbox.clock.now()
            # One transaction: a failure anywhere (even after the merchant was registered)
            # rolls back everything the request did.
            with sandbox.db.write() as session:
                tenant = auth.merchant(sandbox, session, merchant_id, token, now)
                answer = run(Context(sandbox, session, tenant, token, now), document)
            return json_response(answer())
        except PayOneError as exc:
            return exc.response(business_status)
        except CoreError as exc:
            return from_core(exc).response(business_status)
        except BodyTooLarge:
            return PayOneError("00008", 413).response()

    router.include_router(control.build_router(sandbox))
    return router
