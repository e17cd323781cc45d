"""The sandbox clock: every timestamp and date computation reads time from here.

Tests freeze it, set it or advance it through `/_sandbox/clock`; when it is not frozen it
runs at wall-clock speed from an offset, so moving it never breaks ordering of events.
"""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta

# Far enough for any scenario, and far enough from datetime's year-9999 limit that a running
# clock never overflows.
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class ClockError(ValueError):
    """A clock change that would be meaningless (e.g. advancing by a negative amount)."""


class SandboxClock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None

    def now(self) -> datetime:
        frozen = self._frozen_at
        if frozen is not None:
            return frozen
        return datetime.now(UTC) + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self) -> None:
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = datetime.now(UTC) + self._offset

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen_at is not None:
                # Resume from the frozen instant rather than jumping back to wall time.
                self._offset = self._frozen_at - datetime.now(UTC)
                self._frozen_at = None

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
        with self._lock:
            wall = datetime.now(UTC)
            target = instant.astimezone(UTC) if instant is not None else (
                self._frozen_at if self._frozen_at is not None else wall + self._offset)
            if advance and advance > (LATEST - target).total_seconds():
                raise ClockError(f"the clock cannot go past {iso_utc(LATEST)}")
            target += timedelta(seconds=advance or 0)
            if target > LATEST:
                raise ClockError(f"the clock cannot go past {iso_utc(LATEST)}")
            if (self._frozen_at is not None) if freeze is None else freeze:
                self._frozen_at = target
            else:
                self._frozen_at, self._offset = None, target - wall

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)
            self._frozen_at = None

    def state(self) -> dict[str, object]:
        return {"now": iso_utc(self.now()), "frozen": self.frozen}


def iso_utc(instant: datetime) -> str:
    """ISO-8601 with millisecond precision and a `Z` suffix."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
