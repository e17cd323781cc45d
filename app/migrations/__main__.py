"""`python -m invoice_sandbox.migrations "message"`: write the next revision from the difference
between the tables in `core/tables.py` and the schema the existing revisions build.

The revisions are replayed on a scratch SQLite database and Alembic's autogenerate writes what
is missing as `versions/NNNN_message.py`; review it (and its downgrade) before committing.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from ..core.db import Database
from ..core.schema import config


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].strip():
        print('usage: python -m invoice_sandbox.migrations "what changed"', file=sys.stderr)
        return 2
    head = ScriptDirectory.from_config(config()).get_current_head()
    next_id = f"{int(head or 0) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(str(Path(scratch) / "replay.sqlite"), migrate=False)
        with db.write_sql() as conn:
            cfg = config(conn)
            command.upgrade(cfg, "head")
            script = command.revision(cfg, message=argv[0], autogenerate=True, rev_id=next_id)
        db.dispose()
    paths = script if isinstance(script, list) else [script]
    for item in paths:
        if item is not None:
            print(item.path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
