"""The comparison helpers of `bench.run --compare`: the ceiling app, Prism's document, the table."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `bench` lives beside the package, not inside it
    sys.path.insert(0, str(ROOT))

from bench import ceiling, compare  # noqa: E402


def answer(body: bytes, **headers: str) -> dict[str, Any]:
    return {"status": 200, "headers": [["content-type", "application/json"],
                                       ["content-length", "999"], *headers.items()],
            "body_b64": base64.b64encode(body).decode()}


def test_ceiling_replays_the_captured_bytes_on_the_sandbox_paths() -> None:
    detail, created = b'{"code":0,"data":{"invoice_id":7}}', b'{"code":0,"data":{}}'
    app = ceiling.build({"detail": answer(detail, **{"x-extra": "1"}),
                         "create": answer(created)})
    with TestClient(app) as client:
        got = client.get("/platform/invoice/123/detail")
        assert got.status_code == 200 and got.content == detail
        assert got.headers["x-extra"] == "1"
        assert got.headers["content-length"] == str(len(detail))
        posted = client.post("/platform/invoice", content=b'{"invoice_number":"B1"}')
        assert posted.content == created
        # Routes that were not captured are not served.
        assert client.post("/platform/invoice/1/payments", content=b"{}").status_code == 404


def test_prism_document_carries_the_base_path_in_every_path() -> None:
    document = {"openapi": "3.0.3", "servers": [{"url": "/platform"}],
                "paths": {"/invoice": {"post": {}}, "/invoice/{invoice_id}/detail": {"get": {}}}}
    rooted = compare.rooted_document(document)
    assert list(rooted["paths"]) == ["/platform/invoice", "/platform/invoice/{invoice_id}/detail"]
    assert rooted["servers"] == [{"url": "/"}]
    assert document["servers"] == [{"url": "/platform"}]  # the original is left alone


def test_targets_are_checked() -> None:
    assert compare.parse_targets(" ceiling, prism ") == ["ceiling", "prism"]
    assert compare.parse_targets("") == []
    with pytest.raises(ValueError, match="wrk"):
        compare.parse_targets("ceiling,wrk")


def row(scenario: str, rps: float, per_core: float | None) -> dict[str, Any]:
    result = {"scenario": scenario, "rps": rps, "p50_ms": 1.0, "p99_ms": 2.0, "errors": 0,
              "server_cores": 0.5}
    if per_core is not None:
        result["rps_per_server_core"] = per_core
    return result


def test_comparison_table_lists_every_target_and_the_sandbox_ratios() -> None:
    lines = compare.comparison({
        "sandbox": [row("detail", 3000, 6000), row("health", 5000, None)],
        "ceiling": [row("detail", 6000, 12000), row("health", 10000, 20000)],
        "prism": [row("detail", 1000, 1500)],
    })
    assert "| detail | prism | 1,000 | 1.0 | 2.0 | 0 | 0.50 | 1,500 |" in lines
    assert not any(line.startswith("| health | prism") for line in lines)
    assert "| scenario | sandbox/ceiling | sandbox/prism |" in lines
    assert "| detail | 0.50× (0.50×) | 3.00× (4.00×) |" in lines
    # No server CPU figure for the sandbox, no prism run of health: no ratio, no error.
    assert "| health | 0.50× (—) | — |" in lines


def test_comparison_without_other_targets_has_no_ratio_table() -> None:
    lines = compare.comparison({"sandbox": [row("detail", 3000, 6000)]})
    assert len(lines) == 3 and "sandbox/" not in "".join(lines)
