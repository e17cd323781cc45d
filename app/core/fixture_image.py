"""The rows a full reset's fixtures produce, replayed by the next full resets.

Loading the fixtures through the providers' commands (so seeded invoices obey the API's rules)
costs hundreds of ORM statements. What they produce depends only on the fixture files, the
instant of the reset and a few random values (checkout tokens, codes). So two full resets of one
UTC day, at two instants, load them for real and compare what they wrote, value by value: a
value is the same in both, or an instant (a datetime, or an ISO-8601 string) moved by exactly
the time between them, or a random hex string (alone or inside another string). The next full
resets of that day insert those rows directly, instants moved to the reset's, random strings
drawn anew. Anything no rule explains (a value that depends on the hour, a counter, rows
written elsewhere) and no image is made: the loaders keep running.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from .clock import iso_utc

# Tables other requests write outside the write lock (PostgreSQL's journal) or that a reset
# itself changes: the rest must not change while the fixtures load.
_IGNORED = frozenset({"sandbox_state", "journal_entries", "rate_hits"})
# A random part: at least this many hex digits, all lower or all upper case.
_TOKEN = re.compile(r"[0-9a-f]{6,}|[0-9A-F]{6,}")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_FORMATS: tuple[Callable[[datetime], str], ...] = (
    lambda d: d.isoformat(),
    iso_utc,
    lambda d: d.isoformat(timespec="seconds"),
    lambda d: d.isoformat(timespec="seconds").replace("+00:00", "Z"),
    lambda d: d.isoformat(timespec="milliseconds"),
)


class Unexplained(Exception):
    """Two loads differ in a way no rule explains."""


Rows = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Load:
    """What one full reset's loaders wrote, at `instant`."""

    key: Any  # the fixture files it loaded
    instant: datetime
    rows: Rows
    clean: bool  # wrote nothing outside `rows`' tables


def counts(conn: Connection, owned: Sequence[Table]) -> dict[str, int]:
    """Rows per table outside `owned` (see `_IGNORED`)."""
    names = {t.name for t in owned} | _IGNORED
    return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in SQLModel.metadata.sorted_tables if t.name not in names}


def capture(conn: Connection, owned: Sequence[Table]) -> Rows:
    out: Rows = {}
    for table in owned:
        keys = list(table.primary_key.columns)
        order: list[Any] = keys
        if not all(k.type.python_type is int for k in keys):
            # A random key (a login's token): in the order of what is not random.
            order = [c for c in table.c if not c.primary_key
                     and c.type.python_type in (int, str, datetime, bool)] + keys
        out[table.name] = [dict(r) for r in conn.execute(select(table).order_by(*order))
                           .mappings()]
    return out


# --- what a value becomes ----------------------------------------------------------------------

class _Node:
    def make(self, shift: timedelta, fresh: dict[str, str]) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class _Same(_Node):
    value: Any

    def make(self, shift: timedelta, fresh: dict[str, str]) -> Any:
        return self.value


@dataclass(frozen=True)
class _Instant(_Node):
    value: datetime

    def make(self, shift: timedelta, fresh: dict[str, str]) -> Any:
        return self.value + shift


@dataclass(frozen=True)
class _InstantText(_Node):
    value: datetime
    form: Callable[[datetime], str]

    def make(self, shift: timedelta, fresh: dict[str, str]) -> Any:
        return self.form(self.value + shift)


@dataclass(frozen=True)
class _Number(_Node):
    """An instant as seconds or milliseconds since the epoch (as text, or an int)."""

    value: int
    per_second: int
    text: bool

    def make(self, shift: timedelta, fresh: dict[str, str]) -> Any:
        moved = self.value + int(shift.total_seconds()) * self.per_second
        return str(moved) if self.text else moved


@dataclass(frozen=True)
class _Random(_Node):
    text: str
    tokens: tuple[str, ...]

    def make(self, shift: timedelta, fresh: dict[str, str]) -> Any:
        text = self.text
        for token in self.tokens:
            text = text.replace(token, fresh[token])
        return text


@dataclass(frozen=True)
class _Dict(_Node):
    items: tuple[tuple[str, _Node], ...]

    def make(self, shift: timedelta, fresh: dict[str, str]) -> Any:
        return {k: v.make(shift, fresh) for k, v in self.items}


@dataclass(frozen=True)
class _List(_Node):
    items: tuple[_Node, ...]

    def make(self, shift: timedelta, fresh: dict[str, str]) -> Any:
        return [v.make(shift, fresh) for v in self.items]


def _parse(text: str) -> datetime | None:
    if len(text) < 19 or text[4:5] != "-" or text[10:11] not in ("T", " "):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


class _Compare:
    def __init__(self, moved: timedelta) -> None:
        self.moved = moved
        self.tokens: dict[str, str] = {}  # random part in the first load -> in the second

    def note_tokens(self, a: Any, b: Any) -> None:
        """First pass: the random parts, where two strings differ only in one."""
        if isinstance(a, str) and isinstance(b, str) and a != b and len(a) == len(b):
            start = next(i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)
            end = len(a) - next(i for i, (x, y) in enumerate(zip(a[::-1], b[::-1], strict=True))
                                if x != y)
            # Widen to the whole run of hex digits around the difference.
            while start > 0 and a[start - 1] in _HEX_DIGITS:
                start -= 1
            while end < len(a) and a[end] in _HEX_DIGITS:
                end += 1
            old, new = a[start:end], b[start:end]
            if _TOKEN.fullmatch(old) and _TOKEN.fullmatch(new):
                if a.isdigit() and b.isdigit() and self._per_second(int(a), int(b)):
                    return  # an instant as a number (see `_text`), not a random one
                if self.tokens.setdefault(old, new) != new:
                    raise Unexplained("one random value became two")
        elif isinstance(a, dict) and isinstance(b, dict) and list(a) == list(b):
            for k in a:
                self.note_tokens(a[k], b[k])
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for x, y in zip(a, b, strict=True):
                self.note_tokens(x, y)

    def _per_second(self, a: int, b: int) -> int | None:
        """1 or 1000 where `b - a` is the time between the loads in seconds or milliseconds:
        an instant written as a number."""
        seconds = int(self.moved.total_seconds())
        return next((unit for unit in (1, 1000) if b - a == seconds * unit), None)

    def node(self, a: Any, b: Any) -> _Node:
        """Second pass: what `b` (the second load's value) becomes on a replay."""
        if type(a) is type(b) and a == b:
            return _Same(b)
        if type(a) is int and type(b) is int:
            unit = self._per_second(a, b)
            if unit is not None:
                return _Number(b, unit, False)
        if isinstance(a, datetime) and isinstance(b, datetime) and b - a == self.moved:
            return _Instant(b)
        if isinstance(a, dict) and isinstance(b, dict) and list(a) == list(b):
            return _Dict(tuple((k, self.node(a[k], b[k])) for k in b))
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            return _List(tuple(self.node(x, y) for x, y in zip(a, b, strict=True)))
        if isinstance(a, str) and isinstance(b, str):
            return self._text(a, b)
        if isinstance(a, date) and not isinstance(a, datetime):
            raise Unexplained(f"a date that moved: {a} -> {b}")
        raise Unexplained(f"{a!r} -> {b!r}")

    def _text(self, a: str, b: str) -> _Node:
        if a.isdigit() and b.isdigit() and len(a) == len(b):
            unit = self._per_second(int(a), int(b))
            if unit is not None:
                return _Number(int(b), unit, True)
        when_a, when_b = _parse(a), _parse(b)
        if when_a is not None and when_b is not None and when_b - when_a == self.moved:
            for form in _FORMATS:
                if form(when_a) == a and form(when_b) == b:
                    return _InstantText(when_b, form)
        swapped, used = a, []
        for old, new in self.tokens.items():
            if old in swapped:
                swapped = swapped.replace(old, new)
                used.append(new)
        if used and swapped == b:
            return _Random(b, tuple(used))
        raise Unexplained(f"{a!r} -> {b!r}")


def _fresh(token: str) -> str:
    """A new random string shaped like `token`."""
    if token.isdigit():
        return "".join(secrets.choice("0123456789") for _ in token)
    drawn = secrets.token_hex((len(token) + 1) // 2)[: len(token)]
    return drawn.upper() if token.isupper() else drawn


@dataclass(frozen=True)
class Image:
    key: Any
    instant: datetime
    rows: tuple[tuple[Table, tuple[dict[str, _Node], ...]], ...]
    tokens: tuple[str, ...]

    @classmethod
    def of(cls, first: Load, second: Load, owned: Sequence[Table]) -> Image:
        """The image two loads of the same files at two instants of one day make; raises
        Unexplained where they differ otherwise."""
        if not (first.clean and second.clean and first.key == second.key
                and first.instant.date() == second.instant.date()
                and first.instant != second.instant):
            raise Unexplained("not two clean loads of one day")
        compare = _Compare(second.instant - first.instant)
        for table in owned:
            a_rows, b_rows = first.rows[table.name], second.rows[table.name]
            if len(a_rows) != len(b_rows):
                raise Unexplained(f"{table.name}: {len(a_rows)} rows, then {len(b_rows)}")
            for a, b in zip(a_rows, b_rows, strict=True):
                for name in b:
                    compare.note_tokens(a[name], b[name])
        rows = []
        for table in owned:
            made = tuple({name: compare.node(a[name], b[name]) for name in b}
                         for a, b in zip(first.rows[table.name], second.rows[table.name],
                                         strict=True))
            rows.append((table, made))
        return cls(second.key, second.instant, tuple(rows), tuple(compare.tokens.values()))

    def fits(self, key: Any, instant: datetime) -> bool:
        return key == self.key and instant.date() == self.instant.date()

    def replay(self, conn: Connection, instant: datetime) -> None:
        shift = instant - self.instant
        fresh = {token: _fresh(token) for token in self.tokens}
        for table, rows in self.rows:
            if rows:
                conn.execute(insert(table), [_values(row, shift, fresh) for row in rows])


def _values(row: Mapping[str, _Node], shift: timedelta, fresh: dict[str, str]) -> dict[str, Any]:
    return {name: node.make(shift, fresh) for name, node in row.items()}
