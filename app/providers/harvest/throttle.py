"""Harvest's API throttle: more than 100 calls in 15 seconds locks an account out (HTTP 503).

Calls are counted per account on the sandbox clock whether or not the throttle is enforced, so
`/account/rate_limit_status` always tells the truth. Refused calls count too: the real throttle
"is reset with each call", so a client that keeps hammering stays locked out. The windows are
the core's (`app.core.windows`), shared by every process on the database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from ...core.db import Tx
from ...core.windows import RateWindows

MAX_CALLS = 100
TIMEFRAME_SECONDS = 15
SCOPE = "harvest:"


@dataclass(frozen=True)
class Status:
    last_access_at: datetime | None
    count: int
    lockout_seconds: int


class Throttle:
    def __init__(self, windows: RateWindows, enforced: bool, max_calls: int = MAX_CALLS,
                 timeframe: int = TIMEFRAME_SECONDS) -> None:
        self.windows = windows
        self.enforced = enforced
        self.max_calls = max_calls
        self.timeframe = timeframe

    def _lockout(self, calls: list[datetime], now: datetime) -> int:
        """Seconds until fewer than max_calls calls remain in the window (0: not locked)."""
        if len(calls) <= self.max_calls:
            return 0
        oldest_needed = calls[-self.max_calls]
        left = (oldest_needed + timedelta(seconds=self.timeframe) - now).total_seconds()
        return max(1, math.ceil(left))

    def forget(self, tx: Tx, account: str | None = None) -> None:
        """Drop the counts of one account, or of all (in a reset's transaction)."""
        if account is None:
            self.windows.forget(tx, SCOPE, prefix=True)
        else:
            self.windows.forget(tx, SCOPE + account)

    def hit(self, account: str, now: datetime) -> int:
        """Count a call; the seconds to wait when it must be refused, else 0."""
        calls = self.windows.hit(SCOPE + account, now, self.max_calls + 1, self.timeframe)
        return self._lockout(calls, now) if self.enforced else 0

    def status(self, account: str, now: datetime) -> Status:
        calls = self.windows.calls(SCOPE + account, now, self.max_calls + 1, self.timeframe)
        return Status(
            last_access_at=calls[-1] if calls else None,
            count=len(calls),
            lockout_seconds=self._lockout(calls, now) if self.enforced else 0,
        )
