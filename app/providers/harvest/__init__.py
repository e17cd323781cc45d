"""Harvest's legacy (v1, Extended REST) invoice API under `/invoices...` and `/account/...`."""

from __future__ import annotations

from ...core.sandbox import Sandbox
from ..edge import ProviderEdge
from . import errors, fixtures, routes, views


def edge(sandbox: Sandbox) -> ProviderEdge:
    return ProviderEdge(
        name="harvest",
        # `/invoice/` is the singular path of the documented payment Location header.
        prefixes=("/invoices", "/invoice/", "/account/"),
        router=routes.build_router(sandbox),
        not_found=errors.not_found,
        server_error=errors.server_error,
        fixture_loader=fixtures.load,
        views=views.VIEWS,
    )
