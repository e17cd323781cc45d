"""Benchmark of list pages as a tenant grows: p50 and requests/s of the same list queries with
one tenant of each provider (Maast, Harvest, PayOne, TransportOne) holding 1k, 10k and 100k
invoices each.

    python -m bench.lists                        # sizes 1000,10000,100000, 3 s per query
    python -m bench.lists --sizes 1000,10000 -d 2 -c 4 --json

For each size it starts a fresh server on a fresh database, creates one invoice of each kind over
the API (so every column and JSON attribute is what the server itself writes), then copies those
rows with one INSERT ... SELECT straight into the database file (100k HTTP calls would take
minutes), and runs each list query with the load generator in its own process. A page whose cost
is independent of the tenant's size shows the same figures at every size.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as `python bench/lists.py`
    sys.path.insert(0, str(ROOT))

from bench import run as bench  # noqa: E402

MAAST_KEY = "bench-lists"
HARVEST_USER = "lists@bench.example"
PAYONE_MERCHANT = "benchLists"
T1_TENANT = "bench-lists"
T1_BILLING = "/tms/api/v1/billing"
# PayOne's API has no list: its invoices are listed by the dashboard's table.
QUERIES = {
    "maast balance page": "/platform/invoice?count=50&order_on=amt_balance&order_by=desc"
                          "&filter=status,EQ,OUTSTANDING",
    "maast default page": "/platform/invoice?count=10",
    "harvest page": "/invoices?page=1",
    "transportone page": f"{T1_BILLING}/shipper/invoice?state=SUBMITTED&size=50",
    "dashboard table": "/_sandbox/invoices",
    "dashboard payone": "/_sandbox/invoices?provider=payone&status=NEW",
}
HARVEST_INVOICE = (b'<invoice>\n  <client-id type="integer">46066</client-id>\n'
                   b"  <csv-line-items>\nkind,description,quantity,unit_price,amount,taxed,"
                   b"taxed2,project_id\nService,Work,10,100.00,1000.0,false,false,\n"
                   b"  </csv-line-items>\n</invoice>")


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


HEADERS = {
    "maast": {"Authorization": _basic("", MAAST_KEY), "Content-Type": "application/json"},
    "harvest": {"Authorization": _basic(HARVEST_USER, "bench"), "Accept": "application/json",
                "Content-Type": "application/xml"},
    "dashboard": {},
    "transportone": {},  # its access token is added once the tenant exists (`templates`)
}


def _call(server: bench.Server, method: str, path: str, headers: dict[str, str],
          body: bytes | None = None) -> bytes:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    if response.status >= 300:
        raise bench.BenchError(f"{method} {path} -> {response.status}: {raw[:300]!r}")
    return raw


def templates(server: bench.Server) -> None:
    """One sent (OUTSTANDING) and one saved Maast invoice, one Harvest invoice."""
    maast = HEADERS["maast"]
    for i in range(2):
        body = json.dumps(bench.invoice_body(f"TEMPLATE-{i}")).encode()
        data = json.loads(_call(server, "POST", "/platform/invoice", maast, body))["data"]
        if i == 0:
            _call(server, "POST", f"/platform/invoice/{data['invoice_id']}/send", maast, b"{}")
    _call(server, "POST", "/invoices", HEADERS["harvest"], HARVEST_INVOICE)
    payone = {"merchantID": PAYONE_MERCHANT, "authenticationToken": "YmVuY2gtbGlzdHM=",
              "invoicesDetails": [{"invoiceID": "BENCH-1", "amount": "100", "currency": "682",
                                   "paymentDescription": "Bench", "customerID": "CUST-1",
                                   "language": "en", "expiryperiod": "3D"}]}
    _call(server, "POST", "/URL2PayAdminWeb/rest/InvoicesService/createInvoice",
          {"Content-Type": "application/x-www-form-urlencoded"},
          urlencode({"invoices": json.dumps(payone)}).encode())
    login = json.loads(_call(server, "POST", "/core/api/v1/aaa/auth/client-credentials",
                             {"x-coreos-tid": T1_TENANT, "Content-Type": "application/json"},
                             b'{"clientId": "bench", "clientSecret": "bench"}'))
    HEADERS["transportone"] = {"x-coreos-access": login["data"]["accessToken"],
                               "x-coreos-tid": T1_TENANT}
    for state in ("SUBMITTED", "DRAFT"):  # copied alternately: half of them submitted
        body = {"uniqueCode": f"BENCH-{state}", "invoiceNumber": f"NUM-{state}",
                "transporterId": "TRN-1", "transporterName": "Road Runner", "state": state,
                "charges": [{"uniqueCode": f"BENCH-{state}-C1", "chargeHead": "Freight",
                             "chargeType": "EXPENSE", "amount": 1000}]}
        _call(server, "POST", f"/_sandbox/transportone/{T1_TENANT}/invoices",
              {"Content-Type": "application/json"}, json.dumps(body).encode())


_COPY = """
INSERT INTO invoices (tenant_id, provider, kind, ref, number, customer_ref, status, currency,
    total_minor, paid_minor, refunded_minor, allow_partial, issue_date, due_date, expires_at,
    checkout_token, stamps, attrs, created_at, updated_at)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
SELECT t.tenant_id, t.provider, t.kind, t.ref, printf('L%07d', (i * 7919) % :count), t.customer_ref,
    t.status, t.currency, t.total_minor + (i * 104729) % 100000, 0, 0, t.allow_partial,
    t.issue_date, t.due_date, t.expires_at, NULL, t.stamps, t.attrs,
    datetime(t.created_at, printf('+%d seconds', i)), t.updated_at
FROM n JOIN (SELECT *, row_number() OVER (ORDER BY id) - 1 AS k FROM invoices
             WHERE provider = :provider) AS t ON t.k = n.i % :kinds
"""


def seed(db: Path, size: int, harvest: bool = True) -> float:
    """Copy the templates until the Maast tenant holds `size` invoices (half of them sent)
    and, with `harvest`, the Harvest, PayOne and TransportOne tenants as many (half of
    TransportOne's submitted); returns the seconds it took."""
    began = time.perf_counter()
    conn = sqlite3.connect(db, timeout=60)
    with conn:
        conn.execute(_COPY, {"count": size - 2, "provider": "maast", "kinds": 2})
        if harvest:
            conn.execute(_COPY, {"count": size - 1, "provider": "harvest", "kinds": 1})
            conn.execute(_COPY, {"count": size - 1, "provider": "payone", "kinds": 1})
            conn.execute(_COPY, {"count": size - 2, "provider": "transportone", "kinds": 2})
        # Payments on a third of the Maast invoices, so balances differ from totals; the
        # balance page must order by what is left to pay.
        conn.execute("UPDATE invoices SET paid_minor = total_minor / 2 "
                     "WHERE provider = 'maast' AND status = 'OUTSTANDING' AND id % 3 = 0")
    conn.close()
    return time.perf_counter() - began


def measure(server: bench.Server, path: str, headers: dict[str, str],
            args: argparse.Namespace) -> dict[str, Any]:
    spec = {"host": server.host, "port": server.port, "connections": args.connections,
            "duration": args.duration, "warmup": args.warmup, "headers": headers,
            "requests": [{"method": "GET", "path": path}], "loop": "auto"}
    return bench.run_builtin(spec, same_process=False)


def run_size(size: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-lists-") as tmp:
        workdir = Path(tmp)
        with bench.started_server(args.server_cmd, [], workdir, 30.0) as server:
            templates(server)
            seconds = seed(workdir / "bench.sqlite", size)
            print(f"{size} invoices per tenant seeded in {seconds:.1f} s", file=sys.stderr)
            out = []
            for name, path in QUERIES.items():
                provider = name.split()[0]
                result = measure(server, path, HEADERS[provider], args)
                out.append({"size": size, "query": name, "rps": result["rps"],
                            "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"],
                            "errors": result["errors"], "requests": result["requests"]})
            return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.lists", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000,10000,100000", help="invoices per tenant")
    p.add_argument("-c", "--connections", type=int, default=8)
    p.add_argument("-d", "--duration", type=float, default=3.0, help="seconds per query")
    p.add_argument("-w", "--warmup", type=float, default=0.5)
    p.add_argument("--server-cmd", default=bench.DEFAULT_SERVER_CMD,
                   help="server command template (see bench.run)")
    p.add_argument("--json", action="store_true", help="also print one JSON summary line")
    args = p.parse_args(argv)
    results: list[dict[str, Any]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        results += run_size(size, args)
    print(f"{'invoices':>9}  {'query':<20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} errors")
    for r in results:
        print(f"{r['size']:>9}  {r['query']:<20} {r['rps']:>8.0f} {r['p50_ms']:>8.1f} "
              f"{r['p99_ms']:>8.1f} {r['errors']}")
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
