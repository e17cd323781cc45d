"""Where a test's sandbox keeps its data: `fresh_db` (and the `db_location` fixture built on it).

With `INVOICE_SANDBOX_TEST_PG` set to a PostgreSQL server URL, every sandbox gets an empty
PostgreSQL database of its own, from a pool of databases reused after emptying;
otherwise a SQLite file (or `:memory:`) as asked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psycopg
import pytest
from invoice_sandbox.core.db import Database, restart_ids
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel


class PostgresDatabases:
    """Creating a database costs about a second even from a template; emptying a used one
    (ending its connections, deleting every row, restarting its ids) costs milliseconds. A
    template migrated by the sandbox itself is copied for each database the pool adds."""

    def __init__(self, server_url: str) -> None:
        self.server = make_url(server_url.replace("postgresql://", "postgresql+psycopg://", 1))
        self.prefix = f"sandbox_test_{os.getpid()}_"
        self.free: list[str] = []
        self.made: list[str] = []
        self.template: str | None = None
        self._admin: psycopg.Connection[Any] | None = None

    def url(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    def admin(self) -> psycopg.Connection[Any]:
        if self._admin is None:
            server = self.server
            self._admin = psycopg.connect(
                host=server.host, port=server.port, user=server.username,
                password=server.password, dbname=server.database or "postgres",
                autocommit=True)
        return self._admin

    def _create(self) -> str:
        if self.template is None:  # migrated by the sandbox itself, never handed out
            self.template = f"{self.prefix}template"
            self.admin().execute(f'CREATE DATABASE "{self.template}"')
            self.made.append(self.template)
            Database(self.url(self.template)).dispose()
        name = f"{self.prefix}{len(self.made)}"
        self.admin().execute(
            f'CREATE DATABASE "{name}" TEMPLATE "{self.template}" STRATEGY FILE_COPY')
        self.made.append(name)
        return name

    def take(self) -> str:
        """The URL of an empty database at the newest schema revision."""
        name = self.free.pop() if self.free else self._create()
        return self.url(name)

    def give_back(self, url: str) -> None:
        """Empty the database and make it available again."""
        name = make_url(url).database
        assert name is not None
        # Connections a test left open (an app never disposed, a killed server's) go first.
        self.admin().execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        db = Database(url, migrate=False)
        try:
            with db.write_sql() as conn:
                for table in reversed(SQLModel.metadata.sorted_tables):
                    conn.execute(table.delete())
                restart_ids(conn)
        finally:
            db.dispose()
        self.free.append(name)

    def new_empty(self) -> str:
        """A database without any table (not from the pool), dropped at the end."""
        name = f"{self.prefix}bare_{len(self.made)}"
        self.admin().execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return self.url(name)

    def drop_all(self) -> None:
        for name in self.made:
            self.admin().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()
        if self._admin is not None:
            self._admin.close()
            self._admin = None


TEST_PG = os.environ.get("INVOICE_SANDBOX_TEST_PG") or None
POSTGRES = PostgresDatabases(TEST_PG) if TEST_PG else None

sqlite_only = pytest.mark.skipif(TEST_PG is not None, reason="about SQLite files")
postgres_only = pytest.mark.skipif(TEST_PG is None, reason="needs INVOICE_SANDBOX_TEST_PG")


def fresh_db(request: pytest.FixtureRequest, sqlite_path: Path | str) -> str:
    """A location for a new, empty sandbox database, valid until the requesting fixture (or
    test) ends: `sqlite_path` (a file or ":memory:"), or on PostgreSQL the URL of an empty
    database of its own."""
    if POSTGRES is None:
        return str(sqlite_path)
    url = POSTGRES.take()
    request.addfinalizer(lambda: POSTGRES.give_back(url))
    return url


def bare_db(sqlite_path: Path) -> str:
    """A location of a database without any table (for schema creation and migrations)."""
    return str(sqlite_path) if POSTGRES is None else POSTGRES.new_empty()


def run_script(location: str, script: str) -> None:
    """Run an SQL script of one statement per line on the database at `location`."""
    db = Database(location, migrate=False)
    try:
        with db.write_sql() as conn:
            for statement in script.splitlines():
                if statement.strip() and not statement.startswith("--"):
                    conn.exec_driver_sql(statement.removesuffix(";"))
    finally:
        db.dispose()
