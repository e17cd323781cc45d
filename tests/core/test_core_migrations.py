"""Schema versions: a database of the previous release is upgraded at start and serves its data,
one of a newer version is refused, `migrate` runs them, processes starting together create a new
database once, and the revisions build exactly the tables the code uses."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from invoice_sandbox import cli
from invoice_sandbox.core import schema
from invoice_sandbox.core.db import Database
from invoice_sandbox.main import create_app
from invoice_sandbox.settings import BUNDLED_FIXTURES, Settings
from sandbox_databases import TEST_PG, bare_db, run_script
from served_sandbox import ServedSandbox
from sqlalchemy import text
from sqlmodel import SQLModel

DATA = Path(__file__).resolve().parent / "data"
# The dump of a database made by the release before migrations, with the bundled fixtures.
DUMP = DATA / f"release-0.1.0.{'postgresql' if TEST_PG else 'sqlite'}.sql"
HARVEST_DEMO = {"Authorization": "Basic b3duZXJAZGVtby5leGFtcGxlOmhhcnZlc3QtZGVtbw=="}
MAAST_DEMO = {"Authorization": "Basic Om1hYXN0LWRlbW8ta2V5"}


def _revision(location: str) -> str | None:
    db = Database(location, migrate=False)
    with db.read_sql() as conn:
        found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    db.dispose()
    return found


def test_a_database_of_the_previous_release_is_upgraded_and_serves_its_invoices(
        tmp_path: Path) -> None:
    location = bare_db(tmp_path / "old.sqlite")
    run_script(location, DUMP.read_text(encoding="utf-8"))
    numbers_before = {"1001", "1002", "1003", "1004", "1005", "1006"}
    with TestClient(create_app(Settings(db=location, fixtures=BUNDLED_FIXTURES))) as http:
        listed = http.get("/invoices.json", headers=HARVEST_DEMO)
        assert listed.status_code == 200, listed.text
        assert {row["invoices"]["number"] for row in listed.json()} == numbers_before
        # it takes new data after the old (ids continue), and money beyond 32 bits
        created = http.post("/invoices", headers={**HARVEST_DEMO, "Content-Type":
                                                  "application/xml"},
                            content=b'<invoice><client-id type="integer">46066</client-id>'
                                    b"<csv-line-items>kind,description,quantity,unit_price,"
                                    b"amount,taxed,taxed2,project_id\nService,Big,1,"
                                    b"30000000.00,,false,false,</csv-line-items></invoice>")
        assert created.status_code == 201, created.text
        new_id = int(created.headers["Location"].rsplit("/", 1)[1])
        assert new_id == 27  # the dump's invoices are 1..26
        shown = http.get(f"/invoices/{new_id}.json", headers=HARVEST_DEMO).json()["invoice"]
        assert float(shown["amount"]) == 30_000_000.0
    assert _revision(location) == schema.newest()


def test_a_database_of_a_newer_version_is_refused_with_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    location = bare_db(tmp_path / "newer.sqlite")
    db = Database(location)
    with db.write_sql() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    db.dispose()
    assert cli.main(["migrate", "--db", location]) == 2
    assert cli.main(["serve", "--db", location, "--port", "1"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    assert all("revision 9999, newer than this invoice-sandbox knows" in line for line in lines)
    assert _revision(location) == "9999"  # left as it was


def test_migrate_creates_then_finds_the_schema_up_to_date(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    location = bare_db(tmp_path / "new.sqlite")
    assert cli.main(["migrate", "--db", location]) == 0
    assert capsys.readouterr().out.strip() == f"created the schema at revision {schema.newest()}"
    assert cli.main(["migrate", "--db", location]) == 0
    assert capsys.readouterr().out.strip().endswith("the schema is up to date")


def test_the_revisions_build_the_tables_the_code_uses(tmp_path: Path) -> None:
    """Fails when a table or column is added to `core/tables.py` without a revision: write
    one with `python -m invoice_sandbox.migrations "what changed"`."""
    scripts = ScriptDirectory.from_config(schema.config())
    assert schema.newest() == scripts.get_current_head()  # revisions are numbered in order
    db = Database(bare_db(tmp_path / "replayed.sqlite"), migrate=False)
    with db.write_sql() as conn:
        command.upgrade(schema.config(conn), "head")
        context = MigrationContext.configure(
            conn, opts={"compare_type": conn.dialect.name != "sqlite"})
        assert compare_metadata(context, SQLModel.metadata) == []
    db.dispose()


def test_processes_starting_together_on_a_new_database_create_and_seed_it_once(
        tmp_path: Path) -> None:
    location = bare_db(tmp_path / "together.sqlite")
    servers = [ServedSandbox(location) for _ in range(3)]  # the bundled fixtures
    failures: list[BaseException] = []

    def start(server: ServedSandbox) -> None:
        try:
            server.start()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in servers]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        for server in servers:
            listed = httpx.get(f"{server.url}/platform/invoice", headers=MAAST_DEMO, timeout=30)
            assert listed.json()["totalRecords"] == 4  # the demo tenant's, seeded once
    finally:
        for server in servers:
            server.stop()
