"""Response format: a `.xml`/`.json` suffix on the path wins, then `Accept`; XML by default."""

from __future__ import annotations

from fastapi import Request

XML = "xml"
JSON = "json"

_SUFFIXES = {".xml": XML, ".json": JSON}
_MEDIA = {
    "application/json": JSON, "text/json": JSON, "application/x-json": JSON,
    "application/xml": XML, "text/xml": XML, "*/*": XML, "application/*": XML,
}


def split_suffix(segment: str) -> tuple[str, str | None]:
    """`12.json` -> (`12`, json); `12` -> (`12`, None); other suffixes stay in the segment."""
    base, dot, ext = segment.rpartition(".")
    if dot and f".{ext.lower()}" in _SUFFIXES:
        return base, _SUFFIXES[f".{ext.lower()}"]
    return segment, None


def _from_accept(header: str | None) -> str:
    if not header:
        return XML
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        fmt = _MEDIA.get(media.lower())
        if fmt is not None and quality > 0:
            ranked.append((-quality, position, fmt))
    return min(ranked)[2] if ranked else XML


def wanted_format(request: Request) -> str:
    last = request.url.path.rstrip("/").rpartition("/")[2]
    suffix = split_suffix(last)[1]
    return suffix or _from_accept(request.headers.get("accept"))


def content_type(fmt: str) -> str:
    return "application/json; charset=utf-8" if fmt == JSON else "application/xml; charset=utf-8"
