"""The stack's ceiling: a bare Starlette app answering the benchmarked Maast routes with bytes
captured from the sandbox, under the sandbox's own uvicorn configuration.

    python -m bench.ceiling --port 8099 --responses captured.json

`bench.run --compare ceiling` captures one real answer per route from the sandbox and starts this
server with it. Whatever the sandbox spends beyond this server's cost per request is the
application's (database, ORM, validation, journal); the rest is uvicorn and Starlette.

The responses file maps a route name (`detail`, `create`, `payment`, `health`) to
`{"status": 200, "headers": [[name, value], ...], "body_b64": "..."}`.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import socket
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# Route name -> (method, path): the sandbox's paths for the scenarios of bench/run.py.
ROUTES = {
    "detail": ("GET", "/platform/invoice/{invoice_id}/detail"),
    "create": ("POST", "/platform/invoice"),
    "payment": ("POST", "/platform/invoice/{invoice_id}/payments"),
    "health": ("GET", "/_sandbox/health"),
}
# Computed per response by uvicorn (or by Response itself); never replayed.
SKIP_HEADERS = frozenset({"content-length", "date", "server", "connection", "transfer-encoding"})


def endpoint(answer: dict[str, Any]) -> Any:
    body = base64.b64decode(answer["body_b64"])
    status = int(answer["status"])
    headers = {k: v for k, v in answer["headers"] if k.lower() not in SKIP_HEADERS}

    async def respond(request: Request) -> Response:
        if request.method == "POST":
            await request.body()  # as the sandbox does: the whole body is read
        return Response(body, status_code=status, headers=headers)

    return respond


def build(answers: dict[str, dict[str, Any]]) -> Starlette:
    routes = [Route(path, endpoint(answers[name]), methods=[method])
              for name, (method, path) in ROUTES.items() if name in answers]
    return Starlette(routes=routes)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--responses", type=Path, required=True, help="JSON file of captured answers")
    args = p.parse_args(argv)
    # The sandbox's serve path: same uvicorn Config (protocol, keep-alive, concurrency limit,
    # no access log), same pre-bound socket, same frozen start-up objects.
    from invoice_sandbox import server
    from invoice_sandbox.settings import Settings

    application = build(json.loads(args.responses.read_text()))
    sock = socket.create_server((args.host, args.port), backlog=2048)
    gc.freeze()
    with sock:
        server.run(application, Settings(host=args.host, port=args.port), sock)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
