"""Harvest's legacy (v1, Extended REST) invoice API under `/invoices...` and `/account/...`, and
its sandbox extensions (credentials for an account) under `/_sandbox/harvest/...`."""

from __future__ import annotations

from ...core.sandbox import Sandbox
from ..edge import ProviderEdge
from . import control, errors, fixtures, routes, views


def edge(sandbox: Sandbox) -> ProviderEdge:
    router = routes.build_router(sandbox)
    router.include_router(control.build_router(sandbox))
    return ProviderEdge(
        name="harvest",
        # `/invoice/` is the singular path of the documented payment Location header.
        prefixes=("/invoices", "/invoice/", "/account/"),
        router=router,
        not_found=errors.not_found,
        server_error=errors.server_error,
        fixture_loader=fixtures.load,
        views=views.VIEWS,
    )
