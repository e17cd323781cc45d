"""`invoice-sandbox snapshot export|import --url URL FILE`, and the snapshot file that
`serve --snapshot FILE` starts from."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from .settings import env

DEFAULT_URL = "http://127.0.0.1:8080"


def add_parser(sub: Any) -> None:
    """The `snapshot` subcommand, on the CLI's subparsers."""
    parser = sub.add_parser("snapshot", help="export or import the state of a running sandbox")
    parser.set_defaults(run=run)
    actions = parser.add_subparsers(dest="snapshot_action", required=True)
    for name, text in (("export", "write the state to FILE ('-': standard output)"),
                       ("import", "replace the state with FILE's ('-': standard input)")):
        action = actions.add_parser(name, help=text)
        action.add_argument("--url", default=env("url") or DEFAULT_URL,
                            help=f"the sandbox [INVOICE_SANDBOX_URL] (default {DEFAULT_URL})")
        if name == "export":
            action.add_argument("--provider", help="only this provider's tenants")
            action.add_argument("--tenant", help="only the tenant with this key")
        action.add_argument("file", metavar="FILE")


def read_document(file: str) -> Any:
    """A snapshot file's JSON (ValueError or OSError when it cannot be read)."""
    raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    return orjson.loads(raw)


def run(ns: argparse.Namespace) -> int:
    import httpx

    from .testing.client import SandboxClient, SandboxError

    try:
        with SandboxClient(ns.url) as client:
            if ns.snapshot_action == "export":
                raw = orjson.dumps(client.snapshot(ns.provider, ns.tenant))
                if ns.file == "-":
                    sys.stdout.buffer.write(raw + b"\n")
                else:
                    Path(ns.file).write_bytes(raw)
                return 0
            rows = client.restore(read_document(ns.file))
    except SandboxError as exc:
        print(f"invoice-sandbox: {exc.message}", file=sys.stderr)
        return 1
    except httpx.HTTPError as exc:
        print(f"invoice-sandbox: cannot reach {ns.url}: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:  # unreadable file, not JSON
        print(f"invoice-sandbox: {exc}", file=sys.stderr)
        return 1
    print(f"restored {sum(rows.values())} rows into {ns.url}", file=sys.stderr)
    return 0
