"""TransportOne (Delhivery OS1 TMS) Billing App APIs under `/tms/api/v1/billing/...`, the
client-credentials token endpoint under `/core/...`, and the sandbox extensions under
`/_sandbox/transportone/...`."""

from __future__ import annotations

from ...core.sandbox import Sandbox
from ..edge import ProviderEdge
from . import bulk, control, errors, fixtures, routes, views


def edge(sandbox: Sandbox) -> ProviderEdge:
    router = routes.build_router(sandbox)
    sandbox.job_handlers[bulk.KIND] = bulk.handler(sandbox)
    router.include_router(control.build_router(sandbox))
    return ProviderEdge(
        name="transportone",
        prefixes=("/tms/", "/core/"),
        router=router,
        not_found=errors.not_found,
        server_error=errors.server_error,
        fixture_loader=fixtures.load,
        views=views.VIEWS,
    )
