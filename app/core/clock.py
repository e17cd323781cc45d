"""The sandbox clock: every timestamp and date computation reads time from here.

Tests freeze it, set it or advance it through `/_sandbox/clock`; when it is not frozen it
runs at wall-clock speed from an offset, so moving it never breaks ordering of events. The
offset and the frozen instant live in the database (`app.core.state`), shared by every process.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from .state import offset_us

if TYPE_CHECKING:
    from .db import Tx
    from .state import StateStore

# Far enough for any scenario, and far enough from datetime's year-9999 limit that a running
# clock never overflows.
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class ClockError(ValueError):
    """A clock change that would be meaningless (e.g. advancing by a negative amount)."""


class SandboxClock:
    """The clock kept in the sandbox's state row, so every process reads the same time and
    a restart keeps it; a full reset sets it back to wall time."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def now(self) -> datetime:
        snapshot = self.store.current()
        if snapshot.frozen_at is not None:
            return snapshot.frozen_at
        return datetime.now(UTC) + snapshot.offset

    @property
    def frozen(self) -> bool:
        return self.store.current().frozen_at is not None

    def freeze(self) -> None:
        self.change(freeze=True)

    def unfreeze(self) -> None:
        # Resumes from the frozen instant rather than jumping back to wall time.
        self.change(freeze=False)

    def set(self, instant: datetime) -> None:
        self.change(instant=instant)

    def advance(self, seconds: float) -> None:
        self.change(advance=seconds)

    def change(self, *, instant: datetime | None = None, advance: float | None = None,
               freeze: bool | None = None) -> None:
        """Set, then advance, then freeze or unfreeze, as one change: all of it or, on
        ClockError, none of it. A set instant is kept exactly, even when freezing with it."""
        if instant is not None and instant.tzinfo is None:
            raise ClockError("the instant must carry a time zone (e.g. a trailing Z)")
        if advance is not None and not (math.isfinite(advance) and advance >= 0):
            raise ClockError("the clock only moves forward: advance must be a number >= 0")
        with self.store.db.write_sql() as conn:
            current = self.store.lock(conn)
            wall = datetime.now(UTC)
            target = instant.astimezone(UTC) if instant is not None else (
                current.frozen_at if current.frozen_at is not None else wall + current.offset)
            if advance and advance > (LATEST - target).total_seconds():
                raise ClockError(f"the clock cannot go past {iso_utc(LATEST)}")
            target += timedelta(seconds=advance or 0)
            if target > LATEST:
                raise ClockError(f"the clock cannot go past {iso_utc(LATEST)}")
            if (current.frozen_at is not None) if freeze is None else freeze:
                self.store.change(conn, clock_frozen_at=target)
            else:
                self.store.change(conn, clock_frozen_at=None,
                                  clock_offset_us=offset_us(target - wall))

    def reset(self, tx: Tx) -> None:
        """Back to wall time, in the reset's own transaction."""
        self.store.change(tx, clock_offset_us=0, clock_frozen_at=None)

    def state(self) -> dict[str, object]:
        snapshot = self.store.current()
        now = snapshot.frozen_at or datetime.now(UTC) + snapshot.offset
        return {"now": iso_utc(now), "frozen": snapshot.frozen_at is not None}


def iso_utc(instant: datetime) -> str:
    """ISO-8601 with millisecond precision and a `Z` suffix."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
