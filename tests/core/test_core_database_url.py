"""Database locations that cannot be used end the command with status 2 and one line naming
the reason, before anything is written: an unreachable PostgreSQL server, a missing driver, a URL
of an engine the sandbox does not speak (passwords never shown)."""

from __future__ import annotations

import sys

import pytest
from invoice_sandbox import cli
from invoice_sandbox.core.db import Database, DatabaseUnavailable
from served_sandbox import free_port


@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_an_unreachable_server_exits_2_with_one_line(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    closed = free_port()  # nothing listens there
    url = f"postgresql://sandbox:hunter2@127.0.0.1:{closed}/sandbox"
    extra = ["--port", str(free_port())] if command == "serve" else []
    assert cli.main([command, "--db", url, *extra]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert f"127.0.0.1:{closed}" in lines[0] and "refused" in lines[0].lower()
    assert "hunter2" not in lines[0]


def test_a_missing_driver_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now fails
    with pytest.raises(DatabaseUnavailable, match=r"psycopg\[binary\]"):
        Database("postgresql+psycopg://sandbox@127.0.0.1:5432/sandbox")


def test_an_unknown_engine_is_refused_without_its_password() -> None:
    with pytest.raises(DatabaseUnavailable) as refused:
        Database("mysql://root:hunter2@127.0.0.1/sandbox")
    assert "unsupported database URL" in str(refused.value)
    assert "hunter2" not in str(refused.value)
