"""PayOne SmartLink InvoicesService under `/URL2PayAdminWeb/rest/InvoicesService/...`."""

from __future__ import annotations

from ...core.sandbox import Sandbox
from ..edge import ProviderEdge
from . import errors, fixtures, notify, routes, views
from .auth import PROVIDER


def edge(sandbox: Sandbox) -> ProviderEdge:
    sandbox.hooks.on("card_payment", PROVIDER, notify.on_card_payment)
    return ProviderEdge(
        name=PROVIDER,
        prefixes=("/URL2PayAdminWeb/", "/URL2PayAdminWeb"),
        router=routes.build_router(sandbox),
        not_found=errors.not_found,
        server_error=errors.server_error,
        fixture_loader=fixtures.load,
        views=views.views(sandbox),
    )
