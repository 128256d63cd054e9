"""One SQLite file of the appliance: private on disk, one connection, transactions that always end.

Every store (gallery, outbox, audit log, door replay cache) opens its file through
:class:`Database`, which

- creates the file 0600 in a 0700 folder (also outside systemd's ``UMask=``; SQLite gives the
  ``-wal`` and ``-shm`` files the database file's mode);
- checks the file (``PRAGMA quick_check``) and raises :class:`DamagedStore` when it is damaged;
- turns on WAL and the requested durability;
- brings the schema to the latest version: ``MIGRATIONS[i]`` takes ``PRAGMA user_version``
  from ``i`` to ``i + 1``, each in its own transaction; never edit a migration that has shipped;
- runs every write in :meth:`Database.transaction`, which commits, or rolls back on *any*
  error, so one failed statement never leaves the connection inside a transaction (where every
  later ``PRAGMA synchronous`` or ``BEGIN`` would fail).

The connection is shared by threads behind :attr:`Database.lock` (re-entrant, so a store may
hold it around several calls).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from edge.errors import DamagedStore, StoreError
from edge.storage.private import create_private, private_folder

log = logging.getLogger(__name__)

Migration = Callable[[sqlite3.Connection], None]
Synchronous = Literal["OFF", "NORMAL", "FULL"]

# SQLite's primary result codes for a damaged file (https://sqlite.org/rescode.html).
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB


def is_damage(exc: BaseException) -> bool:
    """True when ``exc`` says the file itself is damaged (not busy, full or read-only)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.DatabaseError) and code is not None and code & 0xFF in _CORRUPT_CODES


def move_aside(path: Path) -> Path:
    """Rename a damaged database (and its ``-wal``/``-shm``) to ``<name>.damaged``, kept for
    inspection (a previous one is replaced); returns the new path."""
    aside = path.with_name(path.name + ".damaged")
    for suffix in ("", "-wal", "-shm"):
        source = path.with_name(path.name + suffix)
        if source.exists():
            source.replace(aside.with_name(aside.name + suffix))
    return aside


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Run a script statement by statement (``executescript`` would commit half-way)."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    for statement in "\n".join(lines).split(";"):
        if statement.strip():
            db.execute(statement)


class Database:
    """One SQLite file. ``name`` says what it is in messages (``"outbox"``, ``"gallery"``).

    ``synchronous``: the durability of a commit (``FULL`` survives a power cut);
    ``secure_delete``: deleted rows are overwritten (biometric data, pseudonymized people).
    Raises :class:`DamagedStore` for a damaged file and :class:`StoreError` for any other
    failure to open or migrate it.
    """

    def __init__(self, path: Path, *, name: str, migrations: Sequence[Migration],
                 synchronous: Synchronous = "FULL", secure_delete: bool = False,
                 timeout_s: float = 10.0) -> None:
        self.path = path
        self.name = name
        self.lock = threading.RLock()
        self._synchronous = synchronous
        try:
            private_folder(path.parent)
            if not path.exists():
                with contextlib.suppress(FileExistsError):
                    create_private(path)
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                      timeout=timeout_s)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{name} {path}: cannot open: {exc}") from exc
        try:
            self._check()
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute(f"PRAGMA synchronous = {synchronous}")
            self.db.execute("PRAGMA foreign_keys = ON")
            if secure_delete:
                self.db.execute("PRAGMA secure_delete = ON")
            self._migrate(migrations)
        except BaseException as exc:
            self.db.close()
            if isinstance(exc, sqlite3.Error):
                if is_damage(exc):
                    raise DamagedStore(name, path, str(exc)) from exc
                raise StoreError(f"{name} {path}: {exc}") from exc
            raise

    def _check(self) -> None:
        try:
            verdict = str(self.db.execute("PRAGMA quick_check").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            verdict = str(exc)
        if verdict != "ok":
            raise DamagedStore(self.name, self.path, verdict)

    def _migrate(self, migrations: Sequence[Migration]) -> None:
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(migrations):
            raise StoreError(
                f"{self.name} {self.path} has schema version {version}, newer than this software "
                f"knows ({len(migrations)}): upgrade the appliance software")
        for number, step in enumerate(migrations[version:], start=version + 1):
            with self.transaction():
                step(self.db)
                self.db.execute(f"PRAGMA user_version = {number}")

    @property
    def schema_version(self) -> int:
        with self.lock:
            return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self, synchronous: Synchronous | None = None) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): committed at the end, rolled back on any error.

        Inside another transaction of this connection it is part of that one. ``synchronous``
        sets this commit's durability (SQLite allows the change only between transactions).
        """
        with self.lock:
            if self.db.in_transaction:
                yield self.db
                return
            wanted = synchronous or self._synchronous
            self.db.execute(f"PRAGMA synchronous = {wanted}")
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                self._roll_back()
                raise

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the same moment."""
        with self.lock:
            if self.db.in_transaction:
                yield self.db
                return
            self.db.execute("BEGIN")
            try:
                yield self.db
            finally:
                self._roll_back()  # nothing to keep: ending a read transaction

    def _roll_back(self) -> None:
        if self.db.in_transaction:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error as exc:  # SQLite may have rolled back already (e.g. SQLITE_FULL)
                log.warning("%s: rollback failed: %s", self.name, exc)

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        """All rows of one statement (in autocommit: its own read transaction)."""
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    def close(self) -> None:
        with self.lock:
            self.db.close()
