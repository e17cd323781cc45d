"""The sandbox clock: every timestamp and date computation reads time from here.

Tests freeze it, set it or advance it through `/_sandbox/clock`; when it is not frozen it
runs at wall-clock speed from an offset, so moving it never breaks ordering of events.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


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
        if instant.tzinfo is None:
            raise ClockError("the instant must carry a time zone (e.g. a trailing Z)")
        instant = instant.astimezone(UTC)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = instant
            else:
                self._offset = instant - datetime.now(UTC)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ClockError("the clock only moves forward: advance must be >= 0")
        step = timedelta(seconds=seconds)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += step
            else:
                self._offset += step

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)
            self._frozen_at = None

    def state(self) -> dict[str, object]:
        return {"now": iso_utc(self.now()), "frozen": self.frozen}


def iso_utc(instant: datetime) -> str:
    """ISO-8601 with millisecond precision and a `Z` suffix."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
