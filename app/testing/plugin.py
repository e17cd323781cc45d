"""The pytest plugin, registered on install (`pytest11` entry point).

* `invoice_sandbox_server` (session): a `SandboxServer` on a free port with the bundled fixtures,
  or the sandbox at `--invoice-sandbox-url` / `INVOICE_SANDBOX_URL`.
* `invoice_sandbox` (function): a `SandboxClient` for it, reset before the test unless the test
  is marked `@pytest.mark.invoice_sandbox(reset=False)` or the run says
  `--invoice-sandbox-reset=none`. `invoice_sandbox.tenant("maast")` gives fresh credentials.
* A failing test that used `invoice_sandbox` gets the provider requests it made (credentials
  redacted) as a section of its report.

Nothing is imported or started until a test asks for a fixture: a suite that does not use them
runs as if the plugin were not installed.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    from .client import JournalEntry, SandboxClient

URL_ENV = "INVOICE_SANDBOX_URL"
TOKEN_ENV = "INVOICE_SANDBOX_TOKEN"
RESET_CHOICES = ("each", "none")
REPORT_ENTRIES = 50
REPORT_BODY_CHARS = 2000
# Request headers every client sends that tell nothing about a failure.
QUIET_HEADERS = frozenset({"host", "user-agent", "accept-encoding", "connection", "content-length",
                           "accept"})
_CLIENT = pytest.StashKey["tuple[SandboxClient, int]"]()


class ServedSandbox(Protocol):
    @property
    def url(self) -> str: ...


class ExternalSandbox:
    """A sandbox someone else runs (a docker-compose service, a shared server)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("invoice-sandbox")
    group.addoption("--invoice-sandbox-url", default=None, metavar="URL",
                    help=f"use the sandbox at URL instead of starting one [{URL_ENV}]")
    group.addoption("--invoice-sandbox-reset", default="each", choices=RESET_CHOICES,
                    help="reset the sandbox before each test using it (each, the default) or "
                         "never (none: for a sandbox shared by parallel runs; use "
                         "invoice_sandbox.tenant(...) for isolation)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "invoice_sandbox(reset=True): reset=False keeps the sandbox's state from "
                   "earlier tests instead of resetting it before this one")


@pytest.fixture(scope="session")
def invoice_sandbox_server(request: pytest.FixtureRequest) -> Iterator[ServedSandbox]:
    """The sandbox of this test session (of this worker, under pytest-xdist)."""
    url = request.config.getoption("invoice_sandbox_url") or os.environ.get(URL_ENV)
    if url:
        from .client import SandboxClient

        external = ExternalSandbox(url)
        with SandboxClient(external.url, token=os.environ.get(TOKEN_ENV)) as client:
            try:
                client.health()
            except Exception as exc:  # refused, unreachable, not a sandbox: one message
                pytest.fail(f"invoice-sandbox at {external.url} is not reachable: {exc}",
                            pytrace=False)
        yield external
        return
    from .server import SandboxServer

    with SandboxServer() as server:
        yield server


@pytest.fixture
def invoice_sandbox(invoice_sandbox_server: ServedSandbox,
                    request: pytest.FixtureRequest) -> Iterator[SandboxClient]:
    """The sandbox's control plane, reset to its fixtures before the test."""
    from .client import SandboxClient

    client = SandboxClient(invoice_sandbox_server.url, token=os.environ.get(TOKEN_ENV))
    marker = request.node.get_closest_marker("invoice_sandbox")
    reset = bool(marker.kwargs.get("reset", True)) if marker is not None else True
    if request.config.getoption("invoice_sandbox_reset") == "none":
        reset = False
    try:
        if reset:
            client.reset()
        # A reset empties the journal; without one, the test's requests are the later ones.
        request.node.stash[_CLIENT] = (client, 0 if reset else client.last_request_id())
        yield client
    finally:
        client.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when != "call" or not report.failed or _CLIENT not in item.stash:
        return
    client, since = item.stash[_CLIENT]
    try:
        entries = client.requests(since=since, limit=REPORT_ENTRIES)
    except Exception as exc:  # the report must not fail because the sandbox went away
        report.sections.append(("invoice-sandbox requests", f"(not available: {exc})"))
        return
    report.sections.append(("invoice-sandbox requests", format_entries(entries)))


def format_entries(entries: list[JournalEntry]) -> str:
    """The journal, oldest first, as a reader scanning a failure wants it."""
    if not entries:
        return "(no provider requests)"
    lines = []
    for entry in reversed(entries):
        target = entry.path + (f"?{entry.query}" if entry.query else "")
        fault = f"  [fault: {entry.fault.get('action')}]" if entry.fault else ""
        lines.append(f"#{entry.id} {entry.provider or '-'} {entry.method} {target} -> "
                     f"{entry.status}{fault}")
        headers = [f"{k}: {v}" for k, v in entry.request.headers.items()
                   if k not in QUIET_HEADERS]
        if headers:
            lines.append(f"    headers: {'; '.join(headers)}")
        for side, message in (("request", entry.request), ("response", entry.response)):
            if message.body:
                body = message.body[:REPORT_BODY_CHARS]
                more = " ..." if len(message.body) > REPORT_BODY_CHARS or message.truncated \
                    else ""
                lines.append(f"    {side}: {body}{more}")
    return "\n".join(lines)
