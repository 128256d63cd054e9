"""The door agent's replay cache: nonces of executed commands, kept until they expire.

Persisted in SQLite, so a command replayed after the agent restarts is still refused. A nonce
is only needed until its command's expiry (after that, the freshness check refuses it), which
bounds the store by the commands of the last time-to-live.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from edge.errors import ConfigError


class NonceCache:
    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS nonce (nonce TEXT PRIMARY KEY, expires_ms INTEGER)")
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError([f"door.replay_cache_path: cannot open {path}: {exc}"]) from exc
        self._lock = threading.Lock()

    def first_use(self, nonce: str, expires_ms: int, now_ms: int) -> bool:
        """Record ``nonce``; False if it was seen before (a replay)."""
        with self._lock:
            self._db.execute("DELETE FROM nonce WHERE expires_ms < ?", (now_ms,))
            cursor = self._db.execute("INSERT OR IGNORE INTO nonce VALUES (?, ?)", (nonce, expires_ms))
            return cursor.rowcount == 1

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM nonce").fetchone()
        return int(count)

    def close(self) -> None:
        with self._lock:
            self._db.close()
