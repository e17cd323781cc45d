"""The sandbox clock: frozen, set and advanced on demand, forward-only when advanced, resuming
from where it was frozen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from invoice_sandbox.core.clock import ClockError, SandboxClock, iso_utc
from invoice_sandbox.core.db import Database
from invoice_sandbox.core.state import StateStore

INSTANT = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)


def new_clock() -> SandboxClock:
    """A clock over a database of its own (the clock is a row of the sandbox's state)."""
    store = StateStore(Database(":memory:"))
    store.ensure_row()
    return SandboxClock(store)


def test_running_clock_follows_wall_time_in_utc() -> None:
    clock = new_clock()
    before = datetime.now(UTC)
    now = clock.now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)
    assert clock.state()["frozen"] is False


def test_frozen_clock_stands_still_and_moves_only_when_told() -> None:
    clock = new_clock()
    clock.freeze()
    clock.set(INSTANT)
    assert clock.now() == clock.now() == INSTANT
    clock.advance(90)
    assert clock.now() == INSTANT + timedelta(seconds=90)
    clock.advance(0.5)
    assert clock.now() == INSTANT + timedelta(seconds=90.5)
    assert clock.state() == {"now": "2026-03-02T10:31:30.500Z", "frozen": True}


def test_set_accepts_any_zone_and_keeps_the_instant() -> None:
    clock = new_clock()
    clock.freeze()
    clock.set(datetime(2026, 3, 2, 12, 30, tzinfo=timezone(timedelta(hours=2))))
    assert clock.now() == INSTANT and clock.now().tzinfo == UTC


def test_a_running_clock_can_be_set_and_advanced() -> None:
    clock = new_clock()
    clock.set(INSTANT)
    assert INSTANT <= clock.now() < INSTANT + timedelta(seconds=30)
    clock.advance(86400)
    assert INSTANT + timedelta(days=1) <= clock.now() < INSTANT + timedelta(days=1, seconds=30)


def test_set_and_freeze_together_freeze_exactly_the_instant_set() -> None:
    clock = new_clock()
    clock.change(instant=INSTANT, freeze=True)
    assert clock.now() == INSTANT
    clock.change(instant=INSTANT, advance=60, freeze=True)
    assert clock.now() == INSTANT + timedelta(minutes=1)


@pytest.mark.parametrize(("change", "reason"), [
    ({"advance": -1}, "forward"),
    ({"advance": float("nan")}, "forward"),
    ({"advance": float("inf")}, "forward"),
    ({"advance": 1e300}, "cannot go past"),
    ({"instant": datetime(9999, 12, 31, tzinfo=UTC)}, "cannot go past"),
    ({"instant": datetime(2026, 1, 1)}, "time zone"),
    ({"instant": INSTANT, "advance": -5, "freeze": False}, "forward"),
    ({"instant": datetime(8999, 12, 31, tzinfo=UTC), "advance": 2 * 86400}, "cannot go past"),
])
def test_refused_changes_change_nothing(change: dict[str, object], reason: str) -> None:
    clock = new_clock()
    clock.freeze()
    clock.set(INSTANT)
    with pytest.raises(ClockError, match=reason):
        clock.change(**change)
    assert clock.now() == INSTANT and clock.frozen


def test_unfreeze_resumes_from_the_frozen_instant() -> None:
    clock = new_clock()
    clock.change(instant=INSTANT, freeze=True)
    clock.advance(3600)
    clock.unfreeze()
    resumed = clock.now()
    assert INSTANT + timedelta(hours=1) <= resumed < INSTANT + timedelta(hours=1, seconds=30)
    assert clock.now() >= resumed
    clock.freeze()
    clock.freeze()  # freezing twice keeps the first frozen instant
    assert clock.frozen


def test_reset_returns_to_wall_time() -> None:
    clock = new_clock()
    clock.set(INSTANT)
    clock.freeze()
    with clock.store.db.write_sql() as tx:
        clock.reset(tx)
    assert not clock.frozen
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=30)


def test_iso_utc() -> None:
    assert iso_utc(INSTANT) == "2026-03-02T10:30:00.000Z"
    assert iso_utc(datetime(2026, 3, 2, 12, 30, 0, 123456,
                            tzinfo=timezone(timedelta(hours=2)))) == "2026-03-02T10:30:00.123Z"
