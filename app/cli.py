"""The `invoice-sandbox` command: `serve` (the default), `reset` of a database file."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

from .settings import Settings, SettingsError, env, parse_bool, parse_fixtures


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, no usage dump: scripts and CI logs read this.
        self.exit(2, f"invoice-sandbox: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="invoice-sandbox",
                     description="Local sandbox for the Maast, PayOne, Harvest and "
                                 "TransportOne invoice APIs.")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the sandbox server (default)")
    _add_serve_flags(serve)
    return parser


def _add_serve_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=env("host") or "127.0.0.1",
                   help="interface to bind [INVOICE_SANDBOX_HOST] (default 127.0.0.1)")
    p.add_argument("--port", default=env("port") or "8080",
                   help="TCP port [INVOICE_SANDBOX_PORT] (default 8080)")
    p.add_argument("--db", default=env("db") or "./sandbox.db",
                   help="SQLite file, ':memory:' or a database URL [INVOICE_SANDBOX_DB]")
    p.add_argument("--fixtures", default=env("fixtures"),
                   help="fixtures directory, or 'none' [INVOICE_SANDBOX_FIXTURES] "
                        "(default: the bundled fixtures/)")
    p.add_argument("--auth", default=env("auth") or "open",
                   help="open: any well-formed credential creates its tenant; strict: only "
                        "fixture credentials [INVOICE_SANDBOX_AUTH]")
    p.add_argument("--public-url", default=env("public_url"),
                   help="base URL used in links such as invoice_link [INVOICE_SANDBOX_PUBLIC_URL]")
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
                   help="uvicorn log level [INVOICE_SANDBOX_LOG_LEVEL]")


def settings_from(ns: argparse.Namespace) -> Settings:
    try:
        port = int(ns.port)
    except ValueError:
        raise SettingsError(f"--port must be a number, not {ns.port!r}") from None
    if not 0 < port < 65536:
        raise SettingsError(f"--port must be between 1 and 65535, not {port}")
    if ns.auth not in ("open", "strict"):
        raise SettingsError(f"--auth must be open or strict, not {ns.auth!r}")
    if ns.payone_error_status not in ("200", "400"):
        raise SettingsError("--payone-error-status must be 200 or 400")
    if ns.harvest_follows not in ("recorded", "documented"):
        raise SettingsError("--harvest-follows must be recorded or documented")
    if ns.transportone_idempotency not in ("lenient", "strict"):
        raise SettingsError("--transportone-idempotency must be lenient or strict")
    if ns.log_level not in ("critical", "error", "warning", "info", "debug", "trace"):
        raise SettingsError(f"--log-level {ns.log_level!r} is not a log level")
    if ns.public_url and not ns.public_url.startswith(("http://", "https://")):
        raise SettingsError("--public-url must start with http:// or https://")
    return Settings(
        host=ns.host, port=port, db=ns.db, fixtures=parse_fixtures(ns.fixtures), auth=ns.auth,
        public_url=ns.public_url,
        harvest_throttle=parse_bool(ns.harvest_throttle, "--harvest-throttle"),
        payone_error_status=int(ns.payone_error_status), log_level=ns.log_level,
        harvest_follows=ns.harvest_follows,
        transportone_idempotency=ns.transportone_idempotency,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0].startswith("-") and args[0] not in ("-h", "--help"):
        args.insert(0, "serve")
    ns = _parser().parse_args(args)
    try:
        settings = settings_from(ns)
        return serve(settings)
    except SettingsError as exc:
        print(f"invoice-sandbox: {exc}", file=sys.stderr)
        return 2


def serve(settings: Settings) -> int:
    import uvicorn

    from .core.db import DatabaseUnavailable
    from .core.fixtures import FixtureError
    from .main import create_app

    try:
        application = create_app(settings)
    except (DatabaseUnavailable, FixtureError) as exc:
        print(f"invoice-sandbox: {exc}", file=sys.stderr)
        return 2
    # What start-up built (modules, the app, table metadata: ~100k objects) lives as long as
    # the process; frozen, it is left out of the collector's full passes, which otherwise
    # pause every request in flight for tens of milliseconds now and then.
    gc.freeze()
    try:
        uvicorn.run(application, host=settings.host, port=settings.port,
                    log_level=settings.log_level, access_log=False)
    except OSError as exc:
        print(f"invoice-sandbox: cannot listen on {settings.host}:{settings.port}: {exc}",
              file=sys.stderr)
        return 2
    return 0
