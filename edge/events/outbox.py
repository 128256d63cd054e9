"""The durable outbox: access events wait in SQLite until the broker has acknowledged them.

An event is committed (``synchronous=FULL``: it survives a power cut) before anyone tries to
publish it, and it leaves the queue only when its QoS 1 PUBACK arrives. The last
:data:`RECENT_KEEP` acknowledged events are kept apart: a broker that crashes may lose what it
acknowledged just before (see :mod:`.publisher`). The queue is bounded by size and by age; what
the bounds drop is the oldest, counted (persistently) and logged. Door commands never enter the
outbox. The file is a :class:`edge.storage.sqlite.Database` (every transaction commits or rolls
back).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from edge.errors import ConfigError, DamagedStore, StoreError
from edge.storage.sqlite import Database, Synchronous, is_damage, move_aside, run_script

log = logging.getLogger(__name__)

RECENT_KEEP = 10
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS recent (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    created REAL NOT NULL,
    acknowledged REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
# Version 1 is the schema outboxes had before versioning (hence IF NOT EXISTS).
MIGRATIONS = [lambda db: run_script(db, _SCHEMA)]
_COLUMNS = "seq, event_id, topic, payload, created"


@dataclass(frozen=True)
class Entry:
    seq: int
    event_id: str
    topic: str
    payload: bytes
    created: float


class Outbox:
    """A FIFO of messages to publish, safe to use from the capture loop and the publisher.

    A damaged file (at start or while running) is moved aside to ``<path>.damaged`` and every
    entry still readable is copied into a fresh file; unreadable entries are counted as
    dropped. Other failures (disk full, I/O error) raise :class:`StoreError`; a message whose
    ``put`` failed is kept in memory (up to ``max_events``) and committed by the next ``put``.
    """

    def __init__(self, path: Path, *, max_events: int, max_age_s: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.max_events = max_events
        self.max_age_s = max_age_s
        self._clock = clock
        self._lock = threading.RLock()
        self._unsaved: deque[tuple[str, str, bytes, float]] = deque(maxlen=max_events)
        try:
            self._store = self._open()
        except DamagedStore as exc:
            self._store = self._rebuild(str(exc))
        except StoreError as exc:
            raise ConfigError([f"mqtt.outbox_path: {exc}"]) from exc

    def _open(self) -> Database:
        return Database(self.path, name="outbox", migrations=MIGRATIONS)

    def _run(self, work: Callable[[sqlite3.Connection], T], *, synchronous: Synchronous = "FULL") -> T:
        """``work`` in one transaction; a damaged file is rebuilt and ``work`` tried once more."""
        with self._lock:
            try:
                with self._store.transaction(synchronous) as db:
                    return work(db)
            except sqlite3.Error as exc:
                if not is_damage(exc):
                    raise StoreError(f"outbox {self.path}: {exc}") from exc
                self._store.close()
                self._store = self._rebuild(str(exc))
            try:
                with self._store.transaction(synchronous) as db:
                    return work(db)
            except sqlite3.Error as exc:
                raise StoreError(f"outbox {self.path}: {exc}") from exc

    def _rebuild(self, why: str) -> Database:
        """Move the damaged file aside and copy what is still readable into a fresh one."""
        aside = move_aside(self.path)
        kept, lost, dropped = _readable_entries(aside)
        try:
            store = self._open()
            with store.transaction() as db:
                db.executemany(f"INSERT OR IGNORE INTO outbox ({_COLUMNS}) VALUES (?,?,?,?,?)", kept)
                _count_dropped(db, dropped + lost)
        except StoreError as exc:
            raise ConfigError([f"mqtt.outbox_path: {exc}"]) from exc
        log.error("outbox %s was damaged (%s): moved aside to %s; kept %d event(s), lost %d",
                  self.path, why, aside, len(kept), lost)
        return store

    def put(self, event_id: str, topic: str, payload: bytes) -> None:
        """Commit one message durably; a second put of the same ``event_id`` is ignored."""
        def insert(db: sqlite3.Connection) -> None:
            db.executemany(
                "INSERT OR IGNORE INTO outbox (event_id, topic, payload, created) VALUES (?,?,?,?)",
                self._unsaved)
            (count,) = db.execute("SELECT COUNT(*) FROM outbox").fetchone()
            overflow = count - self.max_events
            if overflow > 0:
                self._drop_oldest(db, overflow, "outbox full")

        with self._lock:
            self._unsaved.append((event_id, topic, payload, self._clock()))
            self._run(insert)
            self._unsaved.clear()

    def after(self, seq: int, limit: int) -> list[Entry]:
        """The oldest ``limit`` queued entries whose ``seq`` is greater than ``seq``, in order."""
        rows = self._run(lambda db: db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        ).fetchall())
        return [Entry(seq, event_id, topic, bytes(payload), created)
                for seq, event_id, topic, payload, created in rows]

    def acknowledge(self, seqs: Iterable[int]) -> None:
        """Move acknowledged entries out of the queue (unknown ``seq`` values are ignored).

        Committed with ``synchronous=NORMAL``: losing one to a power cut only means publishing
        that event again, which subscribers drop by its id.
        """
        params = [(self._clock(), s) for s in seqs]

        def move(db: sqlite3.Connection) -> None:
            db.executemany(
                f"INSERT OR REPLACE INTO recent SELECT {_COLUMNS}, ? FROM outbox WHERE seq = ?", params)
            db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for _, s in params])
            db.execute("DELETE FROM recent WHERE seq NOT IN "
                       "(SELECT seq FROM recent ORDER BY seq DESC LIMIT ?)", (RECENT_KEEP,))

        self._run(move, synchronous="NORMAL")

    def acknowledged_between(self, start: float, end: float) -> list[Entry]:
        """Recently acknowledged entries (at most :data:`RECENT_KEEP`), in order."""
        rows = self._run(lambda db: db.execute(
            f"SELECT {_COLUMNS} FROM recent WHERE acknowledged BETWEEN ? AND ? ORDER BY seq",
            (start, end)).fetchall())
        return [Entry(seq, event_id, topic, bytes(payload), created)
                for seq, event_id, topic, payload, created in rows]

    def expire(self) -> int:
        """Drop entries older than ``max_age_s``; return how many."""
        def drop(db: sqlite3.Connection) -> int:
            (count,) = db.execute("SELECT COUNT(*) FROM outbox WHERE created < ?",
                                  (self._clock() - self.max_age_s,)).fetchone()
            if count:
                self._drop_oldest(db, count, "older than mqtt.outbox_max_age")
            return int(count)

        return self._run(drop)

    @staticmethod
    def _drop_oldest(db: sqlite3.Connection, count: int, why: str) -> None:
        db.execute("DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)",
                   (count,))
        _count_dropped(db, count)
        log.warning("outbox: dropped the %d oldest unpublished event(s): %s", count, why)

    @property
    def dropped(self) -> int:
        """Events dropped by the bounds (or lost to a damaged file) since the store was created."""
        row = self._run(lambda db: db.execute(
            "SELECT value FROM counters WHERE name = 'dropped'").fetchone())
        return int(row[0]) if row else 0

    def __len__(self) -> int:
        return int(self._run(lambda db: db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]))

    def close(self) -> None:
        with self._lock:
            self._store.close()


def _count_dropped(db: sqlite3.Connection, count: int) -> None:
    if count:
        db.execute("INSERT INTO counters (name, value) VALUES ('dropped', ?) "
                   "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value", (count,))


def _readable_entries(path: Path) -> tuple[list[tuple[object, ...]], int, int]:
    """(entries still readable, entries lost, the old dropped counter) of a damaged outbox."""
    kept: list[tuple[object, ...]] = []
    lost = dropped = 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return kept, lost, dropped
    try:
        try:
            seqs = [seq for (seq,) in db.execute("SELECT seq FROM outbox ORDER BY seq")]
        except sqlite3.DatabaseError:
            seqs = []
        for seq in seqs:
            try:
                kept.append(db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE seq = ?", (seq,)).fetchone())
            except sqlite3.DatabaseError:
                lost += 1
        try:
            row = db.execute("SELECT value FROM counters WHERE name = 'dropped'").fetchone()
            dropped = int(row[0]) if row else 0
        except sqlite3.DatabaseError:
            pass
    finally:
        db.close()
    return kept, lost, dropped
