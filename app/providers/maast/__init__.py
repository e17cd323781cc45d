"""Maast (formerly Qualpay) Platform Invoicing API under `/platform/invoice...`."""

from __future__ import annotations

from ...core.sandbox import Sandbox
from ..edge import ProviderEdge
from . import errors, fixtures, routes, views


def edge(sandbox: Sandbox) -> ProviderEdge:
    return ProviderEdge(
        name="maast",
        prefixes=("/platform/", "/platform"),
        router=routes.build_router(sandbox),
        not_found=errors.not_found,
        server_error=errors.server_error,
        fixture_loader=fixtures.load,
        views=views.views(sandbox),
    )
