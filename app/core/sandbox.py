"""The running sandbox's shared services, handed to every provider edge and the control plane."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from .clock import SandboxClock
from .db import Database
from .hooks import Hooks
from .jobs import JobHandler
from .state import StateStore
from .tenancy import TenantDirectory

if TYPE_CHECKING:
    from .background import Background

# (sandbox, session, parsed fixture document, tenant key to restrict to or None)
FixtureLoader = Callable[["Sandbox", Session, dict[str, Any], "str | None"], None]


@dataclass
class Sandbox:
    db: Database
    state: StateStore
    clock: SandboxClock
    tenants: TenantDirectory
    public_url: str
    fixtures_dir: Path | None
    hooks: Hooks = field(default_factory=Hooks)
    fixture_loaders: dict[str, FixtureLoader] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    # Durable jobs by kind, registered by the providers that promise them.
    job_handlers: dict[str, JobHandler] = field(default_factory=dict)
    worker: Background | None = None  # set while the app runs (its lifespan)

    def link(self, path: str) -> str:
        return self.public_url.rstrip("/") + path

    def wake_deliveries(self) -> None:
        """Background work (deliveries, jobs) was committed: start on it now."""
        if self.worker is not None:
            self.worker.wake()
