"""The `invoice-sandbox` command.

One function per subcommand: `add_<name>(subparsers)` declares its flags and sets `run` to the
function that carries it out (`run_<name>(namespace) -> exit status`). A new subcommand is one
more pair and one more entry in `SUBCOMMANDS`. A bare invocation, or one starting with a flag,
is `serve`.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from . import __version__, snapshot_cli
from .settings import (
    Settings,
    SettingsError,
    env,
    parse_bool,
    parse_fixtures,
    parse_hosts,
    parse_number,
)

PROG = "invoice-sandbox"
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
Subparsers = Any  # argparse's _SubParsersAction is private


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, no usage dump: scripts and CI logs read this.
        self.exit(2, f"{PROG}: {message}\n")


def fail(message: str) -> int:
    """The one line every refused start ends with; exit status 2."""
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2


# --- serve ----------------------------------------------------------------------------------

def add_serve(sub: Subparsers) -> None:
    p = sub.add_parser("serve", help="run the sandbox server (the default command)",
                       description="Serve the four provider APIs and the control plane.")
    _add_serve_flags(p)
    p.set_defaults(run=run_serve)


def _add_serve_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=env("host") or "127.0.0.1",
                   help="interface to bind [INVOICE_SANDBOX_HOST] (default 127.0.0.1)")
    p.add_argument("--port", default=env("port") or "8080",
                   help="TCP port [INVOICE_SANDBOX_PORT] (default 8080)")
    p.add_argument("--db", default=env("db") or "./sandbox.db",
                   help="SQLite file, ':memory:' or a database URL [INVOICE_SANDBOX_DB]")
    p.add_argument("--fixtures", default=env("fixtures"),
                   help="fixtures directory, or 'none' [INVOICE_SANDBOX_FIXTURES] "
                        "(default: the bundled fixtures)")
    p.add_argument("--auth", default=env("auth") or "open",
                   help="open: any well-formed credential creates its tenant; strict: only "
                        "fixture credentials [INVOICE_SANDBOX_AUTH]")
    p.add_argument("--public-url", default=env("public_url"),
                   help="base URL used in links such as invoice_link [INVOICE_SANDBOX_PUBLIC_URL]")
    p.add_argument("--control-token", default=env("control_token"),
                   help="require this token on every /_sandbox/ call, as 'Authorization: Bearer "
                        "TOKEN' or 'X-Sandbox-Token: TOKEN' [INVOICE_SANDBOX_CONTROL_TOKEN] "
                        "(default: none)")
    p.add_argument("--allowed-hosts", default=env("allowed_hosts"),
                   help="comma-separated Host names the control plane and checkout pages "
                        "answer to, '*.example' for subdomains [INVOICE_SANDBOX_ALLOWED_HOSTS] "
                        "(default: any)")
    p.add_argument("--request-timeout", default=env("request_timeout") or "10",
                   help="seconds a request may take to arrive whole before the connection is "
                        "closed [INVOICE_SANDBOX_REQUEST_TIMEOUT] (default 10)")
    p.add_argument("--keep-alive-timeout", default=env("keep_alive_timeout") or "5",
                   help="seconds an idle keep-alive connection stays open "
                        "[INVOICE_SANDBOX_KEEP_ALIVE_TIMEOUT] (default 5)")
    p.add_argument("--limit-concurrency", default=env("limit_concurrency") or "512",
                   help="open connections (and requests in flight) before new requests get "
                        "503 [INVOICE_SANDBOX_LIMIT_CONCURRENCY] (default 512)")
    p.add_argument("--harvest-throttle", default=env("harvest_throttle") or "false",
                   help="enforce Harvest's 100 calls / 15 s limit "
                        "[INVOICE_SANDBOX_HARVEST_THROTTLE]")
    p.add_argument("--payone-error-status", default=env("payone_error_status") or "200",
                   help="HTTP status of PayOne business errors: 200 (real) or 400 "
                        "[INVOICE_SANDBOX_PAYONE_ERROR_STATUS]")
    p.add_argument("--harvest-follows", default=env("harvest_follows") or "recorded",
                   help="where Harvest's records disagree: recorded (live v1 traffic) or "
                        "documented [INVOICE_SANDBOX_HARVEST_FOLLOWS]")
    p.add_argument("--transportone-idempotency",
                   default=env("transportone_idempotency") or "lenient",
                   help="a reused x-coreos-request-id with another body: lenient (a new "
                        "request) or strict (409) [INVOICE_SANDBOX_TRANSPORTONE_IDEMPOTENCY]")
    p.add_argument("--log-level", default=env("log_level") or "warning",
                   help="server log level [INVOICE_SANDBOX_LOG_LEVEL]")
    p.add_argument("--workers", default=env("workers") or "1",
                   help="processes serving the port, or 'auto' for one per CPU "
                        "[INVOICE_SANDBOX_WORKERS] (default 1)")
    p.add_argument("--snapshot", default=env("snapshot"),
                   help="start from this snapshot file (replacing the database's state) "
                        "[INVOICE_SANDBOX_SNAPSHOT]")


def _port(value: str) -> int:
    if not (value.isascii() and value.isdigit()):
        raise SettingsError(f"--port must be a number, not {value!r}")
    port = int(value)
    if not 0 < port < 65536:
        raise SettingsError(f"--port must be between 1 and 65535, not {port}")
    return port


def _token(value: str | None) -> str | None:
    if not value:
        return None
    if not all("!" <= c <= "~" for c in value):
        raise SettingsError("--control-token must be printable ASCII without spaces")
    return value


def settings_from(ns: argparse.Namespace) -> Settings:
    port = _port(ns.port)
    if ns.auth not in ("open", "strict"):
        raise SettingsError(f"--auth must be open or strict, not {ns.auth!r}")
    if ns.payone_error_status not in ("200", "400"):
        raise SettingsError("--payone-error-status must be 200 or 400")
    if ns.harvest_follows not in ("recorded", "documented"):
        raise SettingsError("--harvest-follows must be recorded or documented")
    if ns.transportone_idempotency not in ("lenient", "strict"):
        raise SettingsError("--transportone-idempotency must be lenient or strict")
    if ns.log_level not in LOG_LEVELS:
        raise SettingsError(f"--log-level {ns.log_level!r} is not a log level")
    if ns.public_url and not ns.public_url.startswith(("http://", "https://")):
        raise SettingsError("--public-url must start with http:// or https://")
    concurrency = parse_number(ns.limit_concurrency, "--limit-concurrency", low=1, high=1e6)
    if concurrency != int(concurrency):
        raise SettingsError("--limit-concurrency must be a whole number")
    return Settings(
        host=ns.host, port=port, db=ns.db, fixtures=parse_fixtures(ns.fixtures), auth=ns.auth,
        public_url=ns.public_url,
        harvest_throttle=parse_bool(ns.harvest_throttle, "--harvest-throttle"),
        payone_error_status=int(ns.payone_error_status), log_level=ns.log_level,
        harvest_follows=ns.harvest_follows,
        transportone_idempotency=ns.transportone_idempotency,
        control_token=_token(ns.control_token),
        allowed_hosts=parse_hosts(ns.allowed_hosts),
        request_timeout=parse_number(ns.request_timeout, "--request-timeout",
                                     low=0.1, high=3600),
        keep_alive_timeout=parse_number(ns.keep_alive_timeout, "--keep-alive-timeout",
                                        low=1, high=3600),
        limit_concurrency=int(concurrency),
    )


def banner(settings: Settings) -> str:
    base = settings.base_url
    fixtures = str(settings.fixtures) if settings.fixtures is not None else "none"
    control = "token required" if settings.control_token else "open (no token)"
    return "\n".join([
        f"invoice-sandbox {__version__}",
        f"  listening  http://{_url_host(settings.host)}:{settings.port}  (public URL {base})",
        f"  database   {_shown_db(settings.db)}",
        f"  fixtures   {fixtures}",
        f"  auth       {settings.auth}; control plane {control}",
        f"  docs       {base}/_sandbox/docs",
        f"  dashboard  {base}/_sandbox/ui",
    ])


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _shown_db(db: str) -> str:
    if "://" not in db:
        return db
    from sqlalchemy.engine import make_url

    return make_url(db).render_as_string(hide_password=True)


def run_serve(ns: argparse.Namespace) -> int:
    from . import preflight, server

    try:
        settings = settings_from(ns)
        workers = workers_from(ns.workers, settings)
        preflight.check_database_driver(settings.db)
        # Bind before the database is created or seeded: a busy port or a bad host leaves
        # nothing behind.
        sock = preflight.bind(settings.host, settings.port)
    except SettingsError as exc:
        return fail(str(exc))
    with sock:
        try:
            preflight.check_database_reachable(settings.db)
        except SettingsError as exc:
            return fail(str(exc))
        from .core.db import DatabaseUnavailable
        from .core.fixtures import FixtureError
        from .main import create_app

        try:
            application = create_app(settings)
        except (DatabaseUnavailable, FixtureError) as exc:
            return fail(str(exc))
        if ns.snapshot:
            from .core import snapshot

            try:
                snapshot.restore(application.state.sandbox,
                                 snapshot_cli.read_document(ns.snapshot))
            except (OSError, ValueError) as exc:  # SnapshotError is a ValueError with the reason
                return fail(f"snapshot {ns.snapshot}: {exc}")
        # What start-up built (modules, the app, table metadata: ~100k objects) lives as long
        # as the process; frozen, it is left out of the collector's full passes, which
        # otherwise pause every request in flight for tens of milliseconds now and then.
        gc.freeze()
        print(banner(settings) + (f"\n  workers    {workers}" if workers > 1 else ""), flush=True)
        if workers > 1:
            # The tables and fixtures now exist; each worker builds its own app over them.
            from .main import WORKER_SETTINGS_ENV, settings_to_env

            application.state.sandbox.db.dispose()
            os.environ[WORKER_SETTINGS_ENV] = settings_to_env(settings)
            server.run_workers("invoice_sandbox.main:worker_app", settings, sock, workers)
        else:
            server.run(application, settings, sock)
    return 0


def workers_from(value: str, settings: Settings) -> int:
    if value.strip().lower() == "auto":
        workers = os.cpu_count() or 1
    elif value.isascii() and value.isdigit() and 0 < int(value) <= 256:
        workers = int(value)
    else:
        raise SettingsError(f"--workers must be a number from 1 to 256 or auto, not {value!r}")
    if workers > 1 and settings.db == ":memory:":
        raise SettingsError("--workers above 1 needs a database file or URL, not :memory:")
    return workers


# --- health ---------------------------------------------------------------------------------

def add_health(sub: Subparsers) -> None:
    p = sub.add_parser("health", help="check that a running sandbox answers (exit 0 or 1)",
                       description="GET /_sandbox/health of a running sandbox; used by the "
                                   "Docker HEALTHCHECK. Reads the same environment as serve.")
    p.add_argument("--url", default=None,
                   help="base URL of the sandbox (default http://127.0.0.1:PORT, PORT from "
                        "INVOICE_SANDBOX_PORT or 8080)")
    p.add_argument("--control-token", default=env("control_token"),
                   help="token to send [INVOICE_SANDBOX_CONTROL_TOKEN]")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds to wait (default 2)")
    p.set_defaults(run=run_health)


def run_health(ns: argparse.Namespace) -> int:
    import urllib.error  # here, not at the top: it weighs on `serve`'s start-up
    import urllib.request

    base = ns.url or f"http://127.0.0.1:{env('port') or '8080'}"
    request = urllib.request.Request(base.rstrip("/") + "/_sandbox/health")
    if ns.control_token:
        request.add_header("X-Sandbox-Token", ns.control_token)
    try:
        with urllib.request.urlopen(request, timeout=ns.timeout) as response:  # noqa: S310
            ok = response.status == 200
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"{PROG}: health check failed: {exc}", file=sys.stderr)
        return 1
    return 0 if ok else 1


# --- migrate --------------------------------------------------------------------------------

def add_migrate(sub: Subparsers) -> None:
    p = sub.add_parser("migrate", help="create or upgrade the database schema, then exit",
                       description="Create or upgrade the schema, as serve does before it "
                                   "starts, and say what was done.")
    p.add_argument("--db", default=env("db") or "./sandbox.db",
                   help="SQLite file or a database URL [INVOICE_SANDBOX_DB]")
    p.set_defaults(run=run_migrate)


def run_migrate(ns: argparse.Namespace) -> int:
    from . import preflight
    from .core import schema
    from .core.db import Database, DatabaseUnavailable

    try:
        preflight.check_database_driver(ns.db)
        preflight.check_database_reachable(ns.db)
        database = Database(ns.db, migrate=False)
        done = schema.upgrade(database)
    except (SettingsError, DatabaseUnavailable) as exc:
        return fail(str(exc))
    database.dispose()
    print("\n".join(done) or f"{database.shown}: the schema is up to date")
    return 0


# --- the command ----------------------------------------------------------------------------

SUBCOMMANDS: list[Callable[[Subparsers], None]] = [
    add_serve, add_health, add_migrate, snapshot_cli.add_parser]


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG,
                     description="Local sandbox for the Maast, PayOne, Harvest and TransportOne "
                                 "invoice APIs. Run '%(prog)s COMMAND --help' for a command's "
                                 "flags; every flag has an INVOICE_SANDBOX_* environment twin.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0].startswith("-") and args[0] not in ("-h", "--help", "--version"):
        args.insert(0, "serve")
    ns = _parser().parse_args(args)
    run: Callable[[argparse.Namespace], int] = ns.run
    return run(ns)
