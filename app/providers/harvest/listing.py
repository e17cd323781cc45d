"""`GET /invoices` query: `page` (50 per page), `status`, `client`, `from`/`to` (`YYYYMMDD` or
`YYYY-MM-DD`), `updated_since` (UTC); all combinable.

Two readings of the same API: `recorded` (the default) follows what the live v1 service did in
recorded traffic: `from`/`to` select invoices by the day they were created, and lists run by
issue date, latest first. `documented` follows the archived docs: `from`/`to` are issue dates,
and the newest invoice comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

from starlette.datastructures import QueryParams

from ...core.query import Filter, Page, Sort
from . import codec, wire

PER_PAGE = 50
MAX_PAGE = 10_000_000
STATES = ("draft", "open", "partial", "paid", "closed")
UNPAID = ["open", "partial"]  # sent and not settled: what "unpaid" and "pastdue" look at


@dataclass(frozen=True)
class Listing:
    filters: list[Filter]
    sort: list[Sort]
    page: Page


RECORDED = "recorded"
DOCUMENTED = "documented"
READINGS = (RECORDED, DOCUMENTED)


def parse(params: QueryParams, today: date, reading: str = RECORDED) -> Listing:
    """The query as core filters; `today` (the sandbox clock's date) decides what is past due."""
    problems = wire.Problems()
    filters: list[Filter] = []
    page = problems.check(lambda: _page(params.get("page")))
    status = (params.get("status") or "").strip().lower()
    if status in STATES:
        filters.append(Filter("status", "EQ", status))
    elif status in ("unpaid", "pastdue"):
        filters.append(Filter("status", "IN", UNPAID))
        if status == "pastdue":
            filters.append(Filter("due_date", "LT", today))
    elif status:
        problems.add("Status must be one of " + ", ".join((*STATES, "unpaid", "pastdue")))
    client = params.get("client")
    if client is not None and client.strip():
        found = problems.check(lambda: codec.parse_int(client, "client"))
        if found is not None:
            filters.append(Filter("customer_ref", "EQ", str(found)))
    for name, op in (("from", "GE"), ("to", "LE")):
        day = problems.check(partial(_day, params.get(name), name))
        if day is None:
            continue
        if reading == DOCUMENTED:
            filters.append(Filter("issue_date", op, day))
        elif op == "GE":
            filters.append(Filter("created_at", "GE", datetime.combine(day, time(), UTC)))
        elif day < date.max:  # up to the end of that day
            end = datetime.combine(day, time(), UTC) + timedelta(days=1)
            filters.append(Filter("created_at", "LT", end))
    since = params.get("updated_since")
    if since is not None and since.strip():
        moment = problems.check(lambda: codec.parse_datetime(since, "updated_since"))
        if moment is not None:
            filters.append(Filter("updated_at", "GE", moment))
    problems.raise_any()
    number = page or 1
    order = ([Sort("id", descending=True)] if reading == DOCUMENTED
             else [Sort("issue_date", descending=True), Sort("id", descending=True)])
    return Listing(filters, order,
                   Page(offset=(number - 1) * PER_PAGE, limit=PER_PAGE))


def _page(raw: str | None) -> int:
    if raw is None or not raw.strip():
        return 1
    number = codec.parse_int(raw, "page")
    if not 1 <= number <= MAX_PAGE:
        raise codec.CodecError("Page must be a whole number of at least 1")
    return number


def _day(raw: str | None, name: str) -> date | None:
    return None if raw is None or not raw.strip() else codec.parse_date(raw, name)
