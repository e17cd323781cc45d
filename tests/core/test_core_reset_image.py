"""Full resets replay the rows earlier full resets of the day loaded (core.fixture_image): the
state is the one the fixture loaders make, with the reset's own instants and fresh random
values (checkout links, codes)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from invoice_sandbox.core import fixture_image
from invoice_sandbox.settings import BUNDLED_FIXTURES

INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")
CHECKOUT = re.compile(r"/checkout/([0-9a-f]{32})")


def state(http: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = http.get("/_sandbox/snapshot").json()
    tables = document["tables"]
    for name in ("sandbox_epoch", "sandbox_state"):  # counters every reset moves
        tables.pop(name, None)
    return document


def shape(document: dict[str, Any]) -> str:
    """The document with instants, epoch numbers and random strings blanked."""
    text = json.dumps(document["tables"], sort_keys=True)
    text = INSTANT.sub("<instant>", text)
    text = re.sub(r"\b1\d{9}(\d{3})?\b", "<epoch>", text)
    text = re.sub(r"[0-9a-f]{12,}|[0-9A-F]{12,}", "<hex>", text)
    return re.sub(r'"\d{6}"|"\d{12}"', '"<digits>"', text)


def reset(http: TestClient) -> dict[str, Any]:
    assert http.post("/_sandbox/reset").status_code == 200
    return state(http)


def test_a_replayed_reset_is_the_loaded_state_with_fresh_values(
        make_client: Callable[..., TestClient]) -> None:
    http = make_client(fixtures=BUNDLED_FIXTURES)
    sandbox = http.app.state.sandbox  # type: ignore[attr-defined]
    first = reset(http)
    time.sleep(1.05)  # loads at two instants (whole seconds) tell instants from constants
    loaded = reset(http)
    if first["clock"]["now"][:10] != loaded["clock"]["now"][:10]:
        return  # midnight (UTC) between them: no image today yet
    assert isinstance(sandbox.fixture_images.get("image"), fixture_image.Image)
    replayed = reset(http)
    assert shape(replayed) == shape(loaded)
    assert set(CHECKOUT.findall(json.dumps(replayed))).isdisjoint(
        CHECKOUT.findall(json.dumps(loaded)))
    again = reset(http)
    assert set(CHECKOUT.findall(json.dumps(again))).isdisjoint(
        CHECKOUT.findall(json.dumps(replayed)))


def test_the_replayed_fixtures_answer_like_loaded_ones(
        make_client: Callable[..., TestClient]) -> None:
    http = make_client(fixtures=BUNDLED_FIXTURES)
    reset(http)
    time.sleep(1.05)
    reset(http)
    loaded = http.get("/_sandbox/invoices").json()
    reset(http)
    replayed = http.get("/_sandbox/invoices").json()
    assert shape({"tables": replayed}) == shape({"tables": loaded})
    link = CHECKOUT.search(json.dumps(replayed))
    assert link is not None
    assert http.get(f"/checkout/{link.group(1)}").status_code == 200


def test_an_unexplained_difference_makes_no_image() -> None:
    now = datetime(2026, 1, 1, 10, 0, 0, tzinfo=UTC)
    later = now + timedelta(seconds=3)
    owned: list[Any] = []
    first = fixture_image.Load("k", now, {}, True)
    assert fixture_image.Image.of(first, fixture_image.Load("k", later, {}, True), owned)
    for second in (fixture_image.Load("other", later, {}, True),
                   fixture_image.Load("k", later, {}, False),
                   fixture_image.Load("k", now, {}, True)):
        try:
            fixture_image.Image.of(first, second, owned)
        except fixture_image.Unexplained:
            continue
        raise AssertionError(second)
    compare = fixture_image._Compare(later - now)
    for a, b in ((41, 42), ("ORDER-0041", "ORDER-0042"), ("2026-01-01", "2026-01-02")):
        try:
            compare.node(a, b)
        except fixture_image.Unexplained:
            continue
        raise AssertionError((a, b))
