"""The cohort: descriptors of faces the door saw and never identified, for the site calibration.

The door's own population tells it where impostor scores lie (see
:mod:`edge.identify.local.site`). Only what that needs is kept: one fused descriptor per
unidentified track, float16, sealed with the gallery's key when one is configured (the same
codec as the gallery), with its time — never an image, a name or a place in a frame. The store
is bounded (``max_faces``, the oldest go first) and forgets entries older than ``retention_s``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edge.errors import UserError
from edge.gallery.codec import EmbeddingCodec

_CONTEXT = "cohort"
_SCHEMA = ("CREATE TABLE IF NOT EXISTS cohort "
           "(id INTEGER PRIMARY KEY, created REAL NOT NULL, blob BLOB NOT NULL)")


class CohortStore:
    """Thread-safe; one SQLite file (WAL), created 0600."""

    def __init__(self, path: Path, key: bytes | None, *, max_faces: int, retention_s: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.max_faces = max_faces
        self.retention_s = retention_s
        self._clock = clock
        self._codec = EmbeddingCodec(key)
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA secure_delete = ON")  # forgotten descriptors are overwritten
            self._db.execute(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise UserError(f"cohort {path}: cannot open ({exc}): move it aside, the door rebuilds it"
                            ) from exc

    def add(self, embedding: np.ndarray) -> None:
        """Keep one unidentified face's descriptor ((D,) unit vector)."""
        blob = self._codec.encode(np.asarray(embedding, np.float32), _CONTEXT)
        with self._lock:
            self._db.execute("INSERT INTO cohort (created, blob) VALUES (?, ?)", (self._clock(), blob))
            self._prune()

    def vectors(self) -> np.ndarray:
        """(n, D) float32 unit rows of the faces still kept (expired ones are forgotten first)."""
        with self._lock:
            self._prune()
            blobs = [row[0] for row in self._db.execute("SELECT blob FROM cohort ORDER BY id")]
        if not blobs:
            return np.zeros((0, 0), np.float32)
        return self._codec.decode_many(blobs, [_CONTEXT] * len(blobs))

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM cohort").fetchone()[0])

    def _prune(self) -> None:
        self._db.execute("DELETE FROM cohort WHERE created < ?", (self._clock() - self.retention_s,))
        self._db.execute("DELETE FROM cohort WHERE id NOT IN "
                         "(SELECT id FROM cohort ORDER BY id DESC LIMIT ?)", (self.max_faces,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
