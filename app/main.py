"""`create_app(settings)`: the core services, every provider edge and the control plane."""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Route

from . import __version__
from .core import fixtures
from .core.background import Background
from .core.clock import SandboxClock
from .core.db import Database
from .core.sandbox import Sandbox
from .core.state import StateMiddleware, StateStore
from .core.targets import OwnEndpoints
from .core.tenancy import TenantDirectory
from .providers import harvest, maast, payone, transportone
from .providers.edge import ProviderEdge
from .sandbox import (
    checkout,
    control,
    control_openapi,
    dashboard,
    docs,
    faults,
    guard,
    journal,
    snapshot,
)
from .sandbox.errors import control_error
from .server import TimedProtocol
from .settings import Settings

log = logging.getLogger("invoice_sandbox")

CONTROL_OPENAPI = "/_sandbox/openapi.json"
EDGE_FACTORIES = (maast.edge, payone.edge, transportone.edge, harvest.edge)


def create_app(settings: Settings | None = None, *, seed: bool = True) -> FastAPI:
    """The application. `seed=False` (the workers of `--workers N`) leaves creating the state
    row and loading fixtures to the process that started them, so workers never race to it."""
    settings = settings or Settings()
    db = Database(settings.db)
    state = StateStore(db)
    if seed:
        state.ensure_row()
    sandbox = Sandbox(
        db=db,
        state=state,
        clock=SandboxClock(state),
        tenants=TenantDirectory(db, strict=settings.auth == "strict", state=state),
        public_url=settings.base_url,
        fixtures_dir=settings.fixtures,
        options={
            "max_body_bytes": settings.max_body_bytes,
            "harvest_throttle": settings.harvest_throttle,
            "payone_error_status": settings.payone_error_status,
            "harvest_follows": settings.harvest_follows,
            "transportone_idempotency": settings.transportone_idempotency,
            # Other processes may write into the same database (`--workers`, PostgreSQL).
            "shared_database": not seed or not db.is_sqlite,
        },
    )
    edges: list[ProviderEdge] = [factory(sandbox) for factory in EDGE_FACTORIES]
    for edge in edges:
        if edge.fixture_loader is not None:
            sandbox.fixture_loaders[edge.name] = edge.fixture_loader
    # A database that already holds state keeps it across restarts; fixtures seed a new one.
    if seed:
        fixtures.seed_if_empty(sandbox)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Every process delivers and runs jobs; leases keep them from doing anything twice.
        own = OwnEndpoints.of(settings.host, settings.port, sandbox.public_url)
        sandbox.worker = Background(sandbox, own)
        sandbox.worker.start()
        try:
            yield
        finally:
            await sandbox.worker.stop()
            sandbox.worker = None
            application.state.journal.flush()  # entries held for a moment are stored, not lost

    application = FastAPI(
        title="invoice-sandbox",
        version=__version__,
        description="Control plane of the invoice sandbox. Provider APIs are served on their "
                    "real paths; their descriptions live under /_sandbox/openapi/.",
        lifespan=lifespan,
        openapi_url=CONTROL_OPENAPI,
        docs_url=None,  # served from packaged assets by `docs.install`
        redoc_url=None,
    )
    application.state.sandbox = sandbox
    application.state.edges = edges
    # Routes are tried in order: the provider APIs (the traffic) first, before the routes the
    # control plane adds. No provider path can match a control-plane route or the other way
    # round, so the order changes no answer.
    for edge in edges:
        _add_routes(application, edge.router)
    # control-plane middleware (journal, faults) is installed here; the last one added runs
    # first, so the journal also records what fault injection did to a request.
    application.state.faults = faults.install(application, sandbox, edges)
    application.state.journal = journal.install(application, sandbox, edges)
    # Outermost: each request reads the shared state row at most once (see app.core.state).
    application.add_middleware(StateMiddleware)
    # Outermost of all: a refused control-plane call touches nothing.
    guard.install(application, settings)

    def edge_for(request: Request) -> ProviderEdge | None:
        path = request.url.path
        return next((e for e in edges if e.owns(path)), None)

    @application.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        edge = edge_for(request)
        if edge is not None and exc.status_code in (404, 405):
            return edge.not_found(request)
        return control_error(exc.status_code, "http_error", str(exc.detail))

    @application.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        edge = edge_for(request)
        if edge is not None:  # provider routes parse their own input; this is a safety net
            return edge.server_error(request)
        return control_error(400, "invalid_request", str(exc.errors()))

    @application.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect) -> Response:
        # The client left, or was timed out mid-body (see server.TimedProtocol): nobody reads
        # this answer, and it is no server error to log.
        return Response(status_code=400)

    @application.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        edge = edge_for(request)
        if edge is not None:
            return edge.server_error(request)
        return control_error(500, "internal_error", "unexpected server error")

    application.include_router(control.build_router(sandbox, [e.name for e in edges]))
    application.include_router(checkout.build_router(sandbox, edges))
    application.include_router(snapshot.build_router(sandbox, [e.name for e in edges]))
    dashboard.install(application, sandbox, edges)
    docs.install(application, CONTROL_OPENAPI)
    control_openapi.install(application)
    return application


def _add_routes(application: FastAPI, router: APIRouter) -> None:
    """A router's routes as plain routes of the application, where they all are plain routes.

    FastAPI matches an included router's routes more than once per request (a measurable
    share of a short request); a plain route of the application is matched once. Routers
    holding anything else are included as usual.
    """
    if not all(type(route) is Route for route in router.routes):
        application.include_router(router)
        return
    for route in router.routes:
        assert isinstance(route, Route)
        application.router.add_route(route.path, route.endpoint, methods=route.methods,
                                     name=route.name, include_in_schema=False)


# --- `--workers N`: the settings travel to each worker process through the environment --------

WORKER_SETTINGS_ENV = "INVOICE_SANDBOX_WORKER_SETTINGS"


def settings_to_env(settings: Settings) -> str:
    fields = dataclasses.asdict(settings)
    fields["fixtures"] = str(settings.fixtures) if settings.fixtures is not None else None
    return json.dumps(fields)


def worker_app() -> FastAPI:
    """The app factory each worker runs (`uvicorn --factory`); the starting process has
    already created the tables and seeded the database."""
    fields = json.loads(os.environ[WORKER_SETTINGS_ENV])
    if fields["fixtures"] is not None:
        fields["fixtures"] = Path(fields["fixtures"])
    fields["allowed_hosts"] = tuple(fields["allowed_hosts"])
    settings = Settings(**fields)
    TimedProtocol.request_timeout = settings.request_timeout
    application = create_app(settings, seed=False)
    gc.freeze()  # as `serve` does: start-up objects stay out of the collector's full passes
    return application
