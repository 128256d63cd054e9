"""The durable outbox: access events wait in SQLite until the broker has acknowledged them.

An event is committed (``synchronous=FULL``: it survives a power cut) before anyone tries to
publish it, and it leaves the queue only when its QoS 1 PUBACK arrives. Acknowledgements are
committed with ``synchronous=NORMAL``: losing one to a power cut only means publishing that
event again, which subscribers drop by its id. The last :data:`RECENT_KEEP` acknowledged events
are kept apart: a broker that crashes may lose what it acknowledged just before (see
:mod:`.publisher`). The queue is bounded by size and by age; what the bounds drop is the
oldest, counted (persistently) and logged. Door commands never enter the outbox.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from edge.errors import ConfigError

log = logging.getLogger(__name__)

RECENT_KEEP = 10

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


@dataclass(frozen=True)
class Entry:
    seq: int
    event_id: str
    topic: str
    payload: bytes
    created: float


class Outbox:
    """A FIFO of messages to publish, safe to use from the capture loop and the publisher."""

    def __init__(self, path: Path, *, max_events: int, max_age_s: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.max_events = max_events
        self.max_age_s = max_age_s
        self._clock = clock
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError([f"mqtt.outbox_path: cannot open {path}: {exc}"]) from exc

    def put(self, event_id: str, topic: str, payload: bytes) -> None:
        """Commit one message durably; a second put of the same ``event_id`` is ignored."""
        with self._lock:
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR IGNORE INTO outbox (event_id, topic, payload, created) VALUES (?,?,?,?)",
                    (event_id, topic, payload, self._clock()),
                )
                (count,) = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()
                overflow = count - self.max_events
                if overflow > 0:
                    self._drop_oldest(overflow, "outbox full")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def after(self, seq: int, limit: int) -> list[Entry]:
        """The oldest ``limit`` queued entries whose ``seq`` is greater than ``seq``, in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, event_id, topic, payload, created FROM outbox WHERE seq > ? "
                "ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()
        return [Entry(seq, event_id, topic, bytes(payload), created)
                for seq, event_id, topic, payload, created in rows]

    def acknowledge(self, seqs: Iterable[int]) -> None:
        """Move acknowledged entries out of the queue (unknown ``seq`` values are ignored)."""
        params = [(self._clock(), s) for s in seqs]
        with self._lock:
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR REPLACE INTO recent SELECT seq, event_id, topic, payload, created, ? "
                "FROM outbox WHERE seq = ?", params)
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for _, s in params])
            self._db.execute(
                "DELETE FROM recent WHERE seq NOT IN (SELECT seq FROM recent ORDER BY seq DESC LIMIT ?)",
                (RECENT_KEEP,))
            self._db.execute("COMMIT")

    def acknowledged_between(self, start: float, end: float) -> list[Entry]:
        """Recently acknowledged entries (at most :data:`RECENT_KEEP`), in order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, event_id, topic, payload, created FROM recent "
                "WHERE acknowledged BETWEEN ? AND ? ORDER BY seq", (start, end)).fetchall()
        return [Entry(seq, event_id, topic, bytes(payload), created)
                for seq, event_id, topic, payload, created in rows]

    def expire(self) -> int:
        """Drop entries older than ``max_age_s``; return how many."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            (count,) = self._db.execute(
                "SELECT COUNT(*) FROM outbox WHERE created < ?", (self._clock() - self.max_age_s,)
            ).fetchone()
            if count:
                self._drop_oldest(count, "older than mqtt.outbox_max_age")
            self._db.execute("COMMIT")
        return int(count)

    def _drop_oldest(self, count: int, why: str) -> None:
        self._db.execute(
            "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)", (count,)
        )
        self._db.execute(
            "INSERT INTO counters (name, value) VALUES ('dropped', ?) "
            "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
            (count,),
        )
        log.warning("outbox: dropped the %d oldest unpublished event(s): %s", count, why)

    @property
    def dropped(self) -> int:
        """Events dropped by the bounds since the store was created."""
        with self._lock:
            row = self._db.execute("SELECT value FROM counters WHERE name = 'dropped'").fetchone()
        return int(row[0]) if row else 0

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()
        return int(count)

    def close(self) -> None:
        with self._lock:
            self._db.close()
