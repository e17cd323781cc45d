"""Harvest's API throttle: more than 100 calls in 15 seconds locks an account out (HTTP 503).

Calls are counted per account on the sandbox clock whether or not the throttle is enforced, so
`/account/rate_limit_status` always tells the truth. Refused calls count too: the real throttle
"is reset with each call", so a client that keeps hammering stays locked out.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_CALLS = 100
TIMEFRAME_SECONDS = 15


@dataclass(frozen=True)
class Status:
    last_access_at: datetime | None
    count: int
    lockout_seconds: int


class Throttle:
    def __init__(self, enforced: bool, max_calls: int = MAX_CALLS,
                 timeframe: int = TIMEFRAME_SECONDS) -> None:
        self.enforced = enforced
        self.max_calls = max_calls
        self.timeframe = timeframe
        self._calls: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _window(self, account: str, now: datetime) -> deque[datetime]:
        calls = self._calls.setdefault(account, deque(maxlen=self.max_calls + 1))
        horizon = now - timedelta(seconds=self.timeframe)
        while calls and calls[0] <= horizon:
            calls.popleft()
        return calls

    def _lockout(self, calls: deque[datetime], now: datetime) -> int:
        """Seconds until fewer than max_calls calls remain in the window (0: not locked)."""
        if len(calls) <= self.max_calls:
            return 0
        oldest_needed = calls[-self.max_calls]
        left = (oldest_needed + timedelta(seconds=self.timeframe) - now).total_seconds()
        return max(1, math.ceil(left))

    def forget(self, account: str | None = None) -> None:
        """Drop the counts of one account, or of all (after a reset of the sandbox)."""
        with self._lock:
            if account is None:
                self._calls.clear()
            else:
                self._calls.pop(account, None)

    def hit(self, account: str, now: datetime) -> int:
        """Count a call; the seconds to wait when it must be refused, else 0."""
        with self._lock:
            calls = self._window(account, now)
            calls.append(now)
            return self._lockout(calls, now) if self.enforced else 0

    def status(self, account: str, now: datetime) -> Status:
        with self._lock:
            calls = self._window(account, now)
            return Status(
                last_access_at=calls[-1] if calls else None,
                count=len(calls),
                lockout_seconds=self._lockout(calls, now) if self.enforced else 0,
            )
