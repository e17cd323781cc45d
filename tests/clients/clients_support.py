"""Helpers for the real-client tests: the demo account's credentials, and running the Node.js
clients installed in `tests/clients/node` (by `npm ci`, see `.ci/clients.sh`).

Without Node.js or the installed packages a test is skipped on a developer's machine and fails
in CI (`CI` set), so a broken CI install can never pass as green.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"
DEMO_EMAIL = "owner@demo.example"
DEMO_PASSWORD = "harvest-demo"
DEMO_TOKEN = "demo-oauth-token-0001"
BASE64_TOKEN = "goYjSXD3cOJ30N7OID/ajvSBaEADbhTIIxDSQHK+WA9vyRltEVl7GAs="
INVALID_TOKEN = {
    "error": "invalid_token",
    "error_description": "The access token provided is expired, revoked, malformed or invalid "
                         "for other reasons.",
}


def unavailable(reason: str) -> None:
    """Fail in CI, skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (run .ci/clients.sh)")
    pytest.skip(reason)


def node() -> str:
    found = shutil.which("node")
    if found is None:
        unavailable("Node.js is not installed")
    assert found is not None
    if not (NODE_DIR / "node_modules" / "harvest-0").is_dir() or not (
            NODE_DIR / "node_modules" / "harvest-1").is_dir():
        unavailable("the npm clients are not installed (npm ci in tests/clients/node)")
    return found


def run_node(script: str, *args: str) -> dict[str, Any]:
    """Run one of the client scripts; returns the JSON it prints."""
    done = subprocess.run([node(), script, *args], cwd=NODE_DIR, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result
