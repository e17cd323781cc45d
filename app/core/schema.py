"""Schema versions: the Alembic revisions in `app/migrations/versions`, applied at start and by
`invoice-sandbox migrate`.

* a new (empty) database gets the current tables and is stamped with the newest revision;
* one made by an older version is upgraded to it;
* one made before migrations existed (tables, no `alembic_version`) is the first revision;
* one made by a newer version (a revision this one does not know) is refused.

All of it runs in one transaction holding the database's write lock (SQLite's `BEGIN IMMEDIATE`,
PostgreSQL's advisory lock, see `core.db`), so processes starting together on one database
create or upgrade it once, and the others find it done.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, inspect, select
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from . import tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from .db import DatabaseUnavailable, one_line

if TYPE_CHECKING:
    from alembic.config import Config

    from .db import Database

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# The schema of the release before migrations existed: what such a database is stamped with.
BASELINE = "0001"
VERSION_TABLE = "alembic_version"
# Alembic's own table, declared here so that the common cases (a database already at the newest
# revision, a new one) need no Alembic at all: importing it and reading the scripts costs more
# than the rest of start-up.
_VERSION = Table(VERSION_TABLE, MetaData(),
                 Column("version_num", String(32), nullable=False),
                 PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))


def newest() -> str:
    """The newest revision: revision files are named `NNNN_what.py`, numbered in order."""
    return max(path.name.split("_", 1)[0]
               for path in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def config(conn: Connection | None = None) -> Config:
    """Alembic's configuration, without an alembic.ini: the bundled scripts, and the
    connection (with its transaction) the migrations run on."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    cfg.attributes["metadata"] = SQLModel.metadata
    return cfg


def _known_revisions() -> tuple[str | None, set[str]]:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(config())
    return scripts.get_current_head(), {s.revision for s in scripts.walk_revisions()}


def _current(conn: Connection) -> str | None:
    from alembic.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database) -> list[str]:
    """Bring the schema to the newest revision; returns what was done (for `migrate`).
    Raises DatabaseUnavailable with a one-line reason."""
    head = newest()
    try:
        with db.write_sql() as conn:
            names = set(inspect(conn).get_table_names())
            current = (conn.execute(select(_VERSION.c.version_num)).scalar()
                       if VERSION_TABLE in names else None)
            if current == head:
                return []
            if current is None and "invoices" not in names:
                SQLModel.metadata.create_all(conn)
                _VERSION.create(conn)
                conn.execute(_VERSION.insert().values(version_num=head))
                return [f"created the schema at revision {head}"]
            return _migrate(conn, db.shown, current, head)
    except DatabaseUnavailable:
        raise
    except Exception as exc:  # the driver's errors: unreachable, refused, not a database ...
        raise DatabaseUnavailable(f"cannot initialise database {db.shown!r}: "
                                  f"{one_line(exc)}") from exc


def _migrate(conn: Connection, shown: str, current: str | None, head: str) -> list[str]:
    """Run Alembic from `current` (None: before migrations existed) to `head`."""
    from alembic import command

    _, known = _known_revisions()
    if current is not None and current not in known:
        raise DatabaseUnavailable(
            f"database {shown!r} has schema revision {current}, newer than this "
            f"invoice-sandbox knows (up to {head}): upgrade invoice-sandbox")
    cfg = config(conn)
    done = []
    if current is None:
        command.stamp(cfg, BASELINE)
        current = BASELINE
        done.append(f"recognised a database made before migrations as {BASELINE}")
    command.upgrade(cfg, "head")
    done.append(f"upgraded from {current} to {head}")
    return done
