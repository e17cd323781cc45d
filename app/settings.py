"""One Settings object, built from command-line flags with environment-variable twins."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

# The fixtures ship as the data package `invoice_sandbox.fixtures` (see setup.py), so they are
# found in a wheel and in a checkout alike.
BUNDLED_FIXTURES = Path(str(resources.files(f"{__package__}.fixtures")))
ENV_PREFIX = "INVOICE_SANDBOX_"


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    db: str = "./sandbox.db"
    fixtures: Path | None = BUNDLED_FIXTURES
    auth: Literal["open", "strict"] = "open"
    public_url: str | None = None
    max_body_bytes: int = 1_048_576
    # Harvest's documented throttle (100 calls / 15 s -> 503); off unless asked for.
    harvest_throttle: bool = False
    # PayOne answers business errors with HTTP 200 like the real service; 400 is an option.
    payone_error_status: int = 200
    # Where Harvest's records disagree: `recorded` (live v1 traffic) or `documented` (its docs).
    harvest_follows: Literal["recorded", "documented"] = "recorded"
    # TransportOne request ids: `lenient` (a reused id with another body is a new request, as
    # OS1 clients that reuse one id need) or `strict` (409).
    transportone_idempotency: Literal["lenient", "strict"] = "lenient"
    log_level: str = "warning"
    # Control-plane protection (see app/sandbox/guard.py): a token every /_sandbox/ call must
    # carry, and the Host names the sandbox's own pages answer to (empty: any).
    control_token: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    # Slow clients: a request must arrive whole within `request_timeout` seconds of its first
    # byte; an idle keep-alive connection is closed after `keep_alive_timeout`; past
    # `limit_concurrency` open connections new requests get 503.
    request_timeout: float = 10.0
    keep_alive_timeout: float = 5.0
    limit_concurrency: int = 512
    options: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"


def env(name: str) -> str | None:
    return os.environ.get(ENV_PREFIX + name.upper())


def parse_fixtures(value: str | None) -> Path | None:
    if value is None:
        return BUNDLED_FIXTURES
    if value.lower() == "none":
        return None
    path = Path(value)
    if not path.is_dir():
        raise SettingsError(f"fixtures directory {value!r} does not exist")
    return path


def parse_hosts(value: str | None) -> tuple[str, ...]:
    """A comma-separated list of host names; `*.example` admits every subdomain of example."""
    if not value:
        return ()
    hosts = tuple(h.strip().lower() for h in value.split(",") if h.strip())
    for host in hosts:
        bare = host.removeprefix("*.")
        if not bare or any(c in bare for c in "/:@*?# "):
            raise SettingsError(f"--allowed-hosts: {host!r} is not a host name")
    return hosts


def parse_number(value: str, name: str, *, low: float, high: float) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name} must be between {low:g} and {high:g}, not {value}")
    return number


def parse_bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {value!r}")
