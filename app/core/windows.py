"""Sliding rate windows: calls counted per scope on the sandbox clock, as rows, so every process
on one database counts into the same window (a provider's throttle trips at the same call
whichever process serves it)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select

from .db import Database, Tx, sql
from .tables import RateHit

_T = RateHit.__table__  # type: ignore[attr-defined]


class RateWindows:
    def __init__(self, db: Database) -> None:
        self.db = db

    def hit(self, scope: str, now: datetime, keep: int, timeframe: float) -> list[datetime]:
        """Count a call; the newest `keep` calls of the window, oldest first."""
        horizon = now - timedelta(seconds=timeframe)
        with self.db.write_sql() as conn:
            conn.execute(delete(_T).where(_T.c.scope == scope, _T.c.at <= horizon))
            conn.execute(insert(_T).values(scope=scope, at=now))
            rows = conn.execute(select(_T.c.id, _T.c.at).where(_T.c.scope == scope)
                                .order_by(_T.c.id.desc()).limit(keep)).all()
            if len(rows) == keep:  # older calls can no longer change an answer
                conn.execute(delete(_T).where(_T.c.scope == scope, _T.c.id < rows[-1][0]))
        return [at for _, at in reversed(rows)]

    def calls(self, scope: str, now: datetime, keep: int, timeframe: float) -> list[datetime]:
        """The newest `keep` calls still in the window, oldest first."""
        horizon = now - timedelta(seconds=timeframe)
        with self.db.read_sql() as conn:
            rows = conn.execute(select(_T.c.at).where(_T.c.scope == scope, _T.c.at > horizon)
                                .order_by(_T.c.id.desc()).limit(keep)).all()
        return [at for (at,) in reversed(rows)]

    @staticmethod
    def forget(tx: Tx, scope: str, *, prefix: bool = False) -> None:
        """Drop one window, or (prefix) every window whose scope starts with `scope`."""
        match = (_T.c.scope.startswith(scope, autoescape=True) if prefix
                 else _T.c.scope == scope)
        sql(tx).execute(delete(_T).where(match))
