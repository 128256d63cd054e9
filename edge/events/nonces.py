"""The door agent's replay cache: nonces of executed commands, kept until they expire.

Persisted in SQLite, so a command replayed after the agent restarts is still refused. A nonce
is only needed until its command's expiry (after that, the freshness check refuses it), which
bounds the store by the commands of the last time-to-live.

Pruning must not trust the wall clock: stepping it forward would prune every nonce, and
stepping it back would make their commands fresh again. So the cache keeps a persisted
*horizon*: it moves forward with the wall clock but never faster than the monotonic clock
(real elapsed time), and never back. Nonces expiring before the horizon are pruned, and a
command expiring before the horizon is refused as a possible replay, whatever the wall clock
says. A step forward therefore prunes nothing early; a step back re-admits nothing. (Time the
agent is stopped does not advance the horizon: after a restart nonces are kept that much longer.)
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from edge.errors import ConfigError, StoreError
from edge.storage.sqlite import Database, run_script

_SCHEMA = """
CREATE TABLE IF NOT EXISTS nonce (nonce TEXT PRIMARY KEY, expires_ms INTEGER);
CREATE TABLE IF NOT EXISTS horizon (id INTEGER PRIMARY KEY CHECK (id = 1), ms INTEGER NOT NULL);
"""
MIGRATIONS = [lambda db: run_script(db, _SCHEMA)]


class NonceCache:
    """``monotonic`` (seconds) measures real elapsed time; injectable for tests."""

    def __init__(self, path: Path, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        try:
            self._store = Database(path, name="replay cache", migrations=MIGRATIONS)
        except StoreError as exc:
            raise ConfigError([f"door.replay_cache_path: {exc}"]) from exc
        self._monotonic = monotonic
        self._lock = threading.Lock()
        row = self._store.query("SELECT ms FROM horizon")
        self._horizon_ms: int | None = int(row[0][0]) if row else None
        self._since = monotonic()

    @property
    def horizon_ms(self) -> int | None:
        """Commands expiring before this (Unix ms) are refused; None before the first command."""
        return self._horizon_ms

    def first_use(self, nonce: str, expires_ms: int, now_ms: int) -> bool:
        """Record ``nonce``; False if it was seen before or may have been pruned (a replay)."""
        with self._lock, self._store.transaction() as db:
            horizon = self._advance(db, now_ms)
            if expires_ms < horizon:
                return False
            db.execute("DELETE FROM nonce WHERE expires_ms < ?", (horizon,))
            cursor = db.execute("INSERT OR IGNORE INTO nonce VALUES (?, ?)", (nonce, expires_ms))
            return cursor.rowcount == 1

    def _advance(self, db: sqlite3.Connection, now_ms: int) -> int:
        mono = self._monotonic()
        elapsed_ms = int((mono - self._since) * 1000)
        self._since = mono
        if self._horizon_ms is None:
            horizon = now_ms
        else:
            horizon = max(self._horizon_ms, min(now_ms, self._horizon_ms + elapsed_ms))
        if horizon != self._horizon_ms:
            db.execute("INSERT OR REPLACE INTO horizon VALUES (1, ?)", (horizon,))
            self._horizon_ms = horizon
        return horizon

    def __len__(self) -> int:
        return int(self._store.query("SELECT COUNT(*) FROM nonce")[0][0])

    def close(self) -> None:
        self._store.close()
