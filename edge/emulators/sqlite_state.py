"""The emulators' persistent state: one SQLite connection shared by the server's threads."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


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
    """A connection behind a lock, opened with ``pragmas`` and ``schema`` (idempotent DDL)."""

    def __init__(self, path: Path, schema: str, pragmas: tuple[str, ...] = ()) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        for pragma in pragmas:
            self._db.execute(f"PRAGMA {pragma}")
        self._db.executescript(schema)
        self._lock = threading.RLock()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing changes."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
