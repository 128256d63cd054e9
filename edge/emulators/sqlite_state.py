"""The emulators' persistent state: one SQLite connection shared by the server's threads, on the
appliance's SQLite helper (``edge.storage.sqlite``), and limits counted inside transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path

from edge.storage.sqlite import Database, run_script


class LimitReached(Exception):
    """A count checked inside the transaction that would pass it (nothing was changed)."""

    def __init__(self, held: int, limit: int) -> None:
        super().__init__(f"{held} held, limit {limit}")
        self.held, self.limit = held, limit


def check_limit(db: sqlite3.Connection, count_sql: str, args: Sequence[object], limit: int,
                adding: int = 1) -> None:
    """Raise :class:`LimitReached` if ``count_sql`` plus ``adding`` passes ``limit``.

    Call it inside the :meth:`SqliteState.transaction` that adds: the count and the insert are
    then one step, so parallel requests at the limit can never pass it (issue #19, item 4).
    """
    (held,) = db.execute(count_sql, tuple(args)).fetchone()
    if held + adding > limit:
        raise LimitReached(held, limit)


class SqliteState:
    """An emulator's state file on the appliance's SQLite helper (:class:`Database`: a private
    file, WAL, foreign keys, transactions that always end). ``schema`` is migration 1; its
    ``CREATE ... IF NOT EXISTS`` also opens files written before the helper, unchanged.
    ``later`` are the scripts of migrations 2, 3, ... (never edit one that has shipped).
    ``name`` says which emulator in messages."""

    def __init__(self, path: Path, schema: str, name: str, later: Sequence[str] = ()) -> None:
        migrations = [partial(run_script, script=script) for script in (schema, *later)]
        self._database = Database(path, name=name, migrations=migrations, synchronous="NORMAL")
        self._db = self._database.db
        self._lock = self._database.lock

    def close(self) -> None:
        self._database.close()

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """All-or-nothing changes (rolled back on any error)."""
        return self._database.transaction()
