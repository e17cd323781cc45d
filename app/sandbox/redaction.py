"""Credentials out of recorded text, before the journal stores it.

Two passes. By name: secret headers, query/form fields and JSON keys the providers use. By value:
every credential string the provider edge accepted or checked for this request
(`app.core.state.note_secret`), in each form it can take on the wire (raw, URL- or JSON-escaped),
wherever it appears. A credential still visible once the text is decoded (say a `\\u`-escaped
JSON value) takes the whole text with it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

REDACTED = "[redacted]"
WITHHELD = "[redacted: this text held a credential in an encoding the journal does not keep]"
# Shorter values are not treated as secrets: redacting "ab" everywhere would shred the text.
MIN_SECRET_LENGTH = 4

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-coreos-access", "cookie",
                            "x-tms-callback-secret"})
SECRET_PARAMS = frozenset({"access_token", "authenticationtoken", "clientsecret", "client_secret",
                           "accesstoken", "refresh_token", "password", "x-coreos-access"})
_SECRET_JSON = re.compile(
    r'("(?:authenticationToken|clientSecret|client_secret|accessToken|access_token'
    r'|refreshToken|refresh_token|password)"\s*:\s*)'
    # a string (possibly cut off by truncation) or a bare scalar
    r'("(?:[^"\\]|\\.)*(?:"|$)|[^\s,}\]]+)',
    re.IGNORECASE,
)
_PAIR_SEPARATOR = re.compile(r"([&;])")


def redact_json_text(text: str) -> str:
    return _SECRET_JSON.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)


def redact_pairs(raw: str) -> str:
    """A query string or form body: secret fields blanked, JSON inside values redacted, every
    other byte kept as sent (so a malformed body still reads as it arrived). `;` separates
    pairs as `&` does (some clients and servers treat it so)."""
    parts = _PAIR_SEPARATOR.split(raw)
    for index in range(0, len(parts), 2):
        segment = parts[index]
        name, sep, value = segment.partition("=")
        if sep and unquote_plus(name).strip().lower() in SECRET_PARAMS:
            parts[index] = f"{name}={REDACTED}"
            continue
        decoded = unquote_plus(value)
        cleaned = redact_json_text(decoded)
        if cleaned != decoded:
            parts[index] = f"{name}{sep}{quote_plus(cleaned)}"
    return "".join(parts)


def redact_header(name: str, value: str) -> str:
    if name not in SECRET_HEADERS:
        return value
    scheme, space, rest = value.strip().partition(" ")
    # Keep the scheme visible ("Basic", "Bearer"): it is what most auth mix-ups are about.
    if name in ("authorization", "proxy-authorization") and space and rest:
        return f"{scheme} {REDACTED}"
    return REDACTED


@functools.lru_cache(maxsize=256)
def secrets_of(values: tuple[str, ...]) -> Secrets:
    """Compiled once per set of credentials: most requests send the ones sent before."""
    return Secrets(values)


class Secrets:
    """The credential strings of one request, ready to be found in any recorded text."""

    def __init__(self, values: Iterable[str]) -> None:
        self.values = sorted({v for v in values if len(v) >= MIN_SECRET_LENGTH},
                             key=len, reverse=True)
        forms = {form for v in self.values for form in _forms(v)}
        self._pattern = (re.compile("|".join(re.escape(f) for f in sorted(forms, key=len,
                                                                         reverse=True)),
                                    re.IGNORECASE)
                         if forms else None)

    def __bool__(self) -> bool:
        return self._pattern is not None

    def scrub(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        text = self._pattern.sub(REDACTED, text)
        if ("%" in text or "\\" in text or "+" in text) and self._hidden_in(text):
            return WITHHELD
        return text

    def _hidden_in(self, text: str) -> bool:
        lowered = [v.lower() for v in self.values]
        return any(secret in view.lower() for view in _views(text) for secret in lowered)


def _forms(value: str) -> Iterator[str]:
    yield value
    yield quote(value, safe="")
    yield quote(value)
    yield quote_plus(value)
    yield json.dumps(value)[1:-1]
    yield json.dumps(value, ensure_ascii=False)[1:-1]
    yield json.dumps(json.dumps(value))[3:-3]  # JSON inside a JSON string


def _views(text: str) -> Iterator[str]:
    """The text decoded the ways a provider decodes it: URL-decoded, JSON strings inside it."""
    for view in (text, unquote_plus(text)):
        yield view
        yield from _json_strings(view)
        for part in _PAIR_SEPARATOR.split(view)[::2]:
            yield from _json_strings(unquote_plus(part.partition("=")[2]))


def _json_strings(text: str) -> Iterator[str]:
    if "\\" not in text:
        return
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start < 0:
        return
    try:
        document = json.loads(text[start:])
    except (ValueError, RecursionError):
        return
    yield from _strings(document)


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def headers(raw: Sequence[tuple[bytes, bytes]], secrets: Secrets, redact: bool) -> dict[str, str]:
    names = [key.decode("latin-1").lower() for key, _ in raw]
    texts = [value.decode("latin-1") for _, value in raw]
    if redact:
        texts = [redact_header(name, text) for name, text in zip(names, texts, strict=True)]
    if secrets:
        texts = _scrub_all(texts, secrets)
    out: dict[str, str] = {}
    for name, text in zip(names, texts, strict=True):
        out[name] = f"{out[name]}, {text}" if name in out else text
    return out


def _scrub_all(values: list[str], secrets: Secrets) -> list[str]:
    """`secrets.scrub` of each value. Values that cannot hide an encoded credential (no `%`,
    `\\`, `+`) are scrubbed in one pass, joined by a line break no header value holds."""
    if any("%" in v or "\\" in v or "+" in v or "\n" in v for v in values):
        return [secrets.scrub(v) for v in values]
    scrubbed = secrets.scrub("\n".join(values)).split("\n")
    if len(scrubbed) != len(values):  # a credential spanning a line break: value by value
        return [secrets.scrub(v) for v in values]
    return scrubbed


def body_text(body: bytes, secrets: Secrets) -> str:
    """A body whatever its declared type: form fields and JSON keys by name, then values."""
    text = body.decode("utf-8", "replace")
    if "=" in text and not text.lstrip().startswith(("{", "[")):
        text = redact_pairs(text)
    return secrets.scrub(redact_json_text(text))
