"""The outbox: outgoing notifications are rows written in the transaction that caused them, then
delivered by whichever process claims them (see `delivery` for the worker).

A claim is one UPDATE that takes an unclaimed (or lease-expired) due row of one target and
stamps it with a unique claim token and a lease, so two processes never send the same row while
both are healthy, and a row claimed by a process that died is sent by another once its lease
has passed. Rows belong to the reset epoch they were made in and are claimed only in it.

Retries are scheduled on wall-clock time, not the sandbox clock, so a frozen clock never
stalls delivery. Every attempt's outcome (a short category, the status, the duration) is kept on
the row; finished rows beyond `RETAIN_FINISHED` are pruned, oldest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col
from sqlmodel import select as select_models

from . import epoch
from .clock import iso_utc
from .tables import Delivery
from .targets import target_of

MAX_ATTEMPTS = 6
FIRST_BACKOFF_SECONDS = 0.5
# Longer than one send (bounded by the worker's timeout) plus recording its outcome: a lease
# that ran out while its holder was still sending would let a second process send again.
LEASE_SECONDS = 20.0
RETAIN_FINISHED = 1000
LIST_LIMIT, LIST_LIMIT_MAX = 100, 1000
REDACTED_HEADERS = frozenset({"x-tms-callback-secret"})
FINISHED = ("delivered", "failed", "dropped")

_t = Delivery.__table__  # type: ignore[attr-defined]


def enqueue(
    session: Session,
    *,
    provider: str,
    tenant_id: int | None,
    event: str,
    url: str,
    body: bytes,
    headers: dict[str, str],
) -> Delivery:
    now = datetime.now(UTC)
    delivery = Delivery(
        provider=provider, tenant_id=tenant_id, event=event, url=url, body=body,
        headers=headers, state="pending", attempts=[], next_attempt_at=now, created_at=now,
        target=target_of(url), epoch=epoch.current(session),
    )
    session.add(delivery)
    return delivery


# --- the listing ---------------------------------------------------------------------------------

def list_deliveries(session: Session, provider: str | None = None,
                    tenant_id: int | None = None, *, since: int = 0,
                    limit: int = LIST_LIMIT) -> tuple[list[Delivery], int | None]:
    """Oldest first, after id `since`; returns the page and the `since` of the next one."""
    stmt = (select_models(Delivery).where(col(Delivery.id) > since)
            .order_by(col(Delivery.id)).limit(limit + 1))
    if provider:
        stmt = stmt.where(col(Delivery.provider) == provider)
    if tenant_id is not None:
        stmt = stmt.where(col(Delivery.tenant_id) == tenant_id)
    rows = list(session.exec(stmt).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def redact(headers: dict[str, str]) -> dict[str, str]:
    return {k: ("[redacted]" if k.lower() in REDACTED_HEADERS else v)
            for k, v in headers.items()}


def describe(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "provider": delivery.provider,
        "event": delivery.event,
        "url": delivery.url,
        "state": delivery.state,
        "headers": redact(delivery.headers),
        "body": delivery.body.decode("utf-8", "replace"),
        "attempts": delivery.attempts,
        "next_attempt_at": iso_utc(delivery.next_attempt_at) if delivery.next_attempt_at else None,
        "created_at": iso_utc(delivery.created_at),
    }


# --- claims --------------------------------------------------------------------------------------

def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(_t.c.state == "pending", _t.c.next_attempt_at <= now,
                or_(_t.c.lease_until.is_(None), _t.c.lease_until < now),
                _t.c.epoch == epoch.current_expr())


def due_targets(conn: Connection, now: datetime, limit: int) -> list[str]:
    stmt = select(_t.c.target).where(_claimable(now)).distinct().limit(limit)
    return [str(t) for t in conn.execute(stmt).scalars()]


def claim(conn: Connection, target: str, token: str, now: datetime) -> Row[Any] | None:
    """Claim the oldest due row of `target` for `token` (unique per claim), or None."""
    oldest = (select(_t.c.id).where(_t.c.target == target, _claimable(now))
              .order_by(_t.c.id).limit(1).scalar_subquery())
    # The conditions are repeated outside the subquery: a concurrent claimer that picked the
    # same row re-checks them against the row as the winner left it (PostgreSQL) and misses.
    taken = conn.execute(update(_t).where(_t.c.id == oldest, _claimable(now))
                         .values(claimed_by=token,
                                 lease_until=now + timedelta(seconds=LEASE_SECONDS)))
    if taken.rowcount != 1:
        return None
    return conn.execute(select(_t).where(_t.c.claimed_by == token)).first()


def record(conn: Connection, delivery_id: int, token: str, attempt: dict[str, Any], *,
           delivered: bool, final: bool, now: datetime) -> str | None:
    """Keep an attempt's outcome and release the claim; returns the row's new state, or None
    when the row is no longer this claim's (removed by a reset)."""
    row = conn.execute(select(_t.c.attempts, _t.c.epoch)
                       .where(_t.c.id == delivery_id, _t.c.claimed_by == token)
                       .with_for_update()).first()
    if row is None:
        return None
    attempts = [*(row.attempts or []), attempt]
    next_at: datetime | None = None
    if delivered:
        state = "delivered"
    elif final or len(attempts) >= MAX_ATTEMPTS:
        state = "failed"
    elif row.epoch != epoch.current(conn):
        state = "dropped"  # sent while a reset happened: never retried into the new epoch
    else:
        state = "pending"
        next_at = now + timedelta(seconds=FIRST_BACKOFF_SECONDS * 2 ** (len(attempts) - 1))
    conn.execute(update(_t).where(_t.c.id == delivery_id, _t.c.claimed_by == token)
                 .values(attempts=attempts, state=state, next_attempt_at=next_at,
                         claimed_by=None, lease_until=None))
    return state


# --- upkeep --------------------------------------------------------------------------------------

def prune(conn: Connection, keep: int = RETAIN_FINISHED) -> int:
    """Delete finished rows beyond the newest `keep`."""
    finished = _t.c.state.in_(FINISHED)
    boundary = (select(_t.c.id).where(finished).order_by(_t.c.id.desc())
                .offset(keep).limit(1).scalar_subquery())
    return int(conn.execute(delete(_t).where(finished, _t.c.id <= boundary)).rowcount or 0)


def drop_for_reset(conn: Connection, tenant_ids: Sequence[int] | None, now: datetime,
                   old_epoch: int, new_epoch: int) -> None:
    """The outbox side of a reset of `tenant_ids` (None: everything), in the reset's
    transaction: their waiting rows are dropped unsent; a row being sent right now is kept,
    detached from its tenant, so the send in progress is recorded (delivered, or dropped
    without a retry); everyone else's rows move on to the new epoch."""
    affected, kept = epoch.carried_over(_t.c.tenant_id, tenant_ids)
    in_flight = and_(_t.c.state == "pending", _t.c.claimed_by.is_not(None),
                     _t.c.lease_until >= now)
    conn.execute(update(_t).where(_t.c.epoch == old_epoch, kept)
                 .values(epoch=new_epoch))
    conn.execute(delete(_t).where(affected, ~in_flight))
    conn.execute(update(_t).where(affected, in_flight).values(tenant_id=None))
