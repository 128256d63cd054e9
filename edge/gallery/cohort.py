"""The cohort: descriptors of faces the door saw and never identified, for the site calibration.

The door's own population tells it where impostor scores lie (see
:mod:`edge.identify.local.site`). Only what that needs is kept: one fused descriptor per
unidentified track, float16, sealed with the gallery's key when one is configured (the same
codec as the gallery), with its time — never an image, a name or a place in a frame. The store
is bounded (``max_faces``, the oldest go first) and forgets entries older than ``retention_s``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edge.gallery.codec import EmbeddingCodec
from edge.storage.sqlite import Database, run_script

_CONTEXT = "cohort"
_SCHEMA = "CREATE TABLE cohort (id INTEGER PRIMARY KEY, created REAL NOT NULL, blob BLOB NOT NULL)"
MIGRATIONS = [lambda db: run_script(db, _SCHEMA)]


class CohortStore:
    """Thread-safe; one private SQLite file (:class:`edge.storage.sqlite.Database`)."""

    def __init__(self, path: Path, key: bytes | None, *, max_faces: int, retention_s: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.max_faces = max_faces
        self.retention_s = retention_s
        self._clock = clock
        self._codec = EmbeddingCodec(key)
        # forgotten descriptors are overwritten; a lost one costs nothing (NORMAL durability)
        self._db = Database(path, name="cohort", migrations=MIGRATIONS, synchronous="NORMAL",
                            secure_delete=True)

    def add(self, embedding: np.ndarray) -> None:
        """Keep one unidentified face's descriptor ((D,) unit vector)."""
        blob = self._codec.encode(np.asarray(embedding, np.float32), _CONTEXT)
        with self._db.transaction() as db:
            db.execute("INSERT INTO cohort (created, blob) VALUES (?, ?)", (self._clock(), blob))
            self._prune(db)

    def vectors(self) -> np.ndarray:
        """(n, D) float32 unit rows of the faces still kept (expired ones are forgotten first)."""
        with self._db.transaction() as db:
            self._prune(db)
            blobs = [row[0] for row in db.execute("SELECT blob FROM cohort ORDER BY id")]
        if not blobs:
            return np.zeros((0, 0), np.float32)
        return self._codec.decode_many(blobs, [_CONTEXT] * len(blobs))

    def forget_earlier_sightings(self, templates: np.ndarray, enrolled_at: np.ndarray,
                                 min_score: float) -> int:
        """Forget the faces that were an enrolled person's own visits before enrollment.

        A row is forgotten when the person it scores best against (``templates``: (P, D) unit
        rows) was enrolled after the row was kept (``enrolled_at``: (P,) unix seconds) and it
        scores at least ``min_score`` (the door's cut) against them: the door would now name
        that person, so it is no impostor, and keeping it would put a genuine score in the
        impostor tail (a new colleague seen as a visitor would otherwise close the door for
        everyone until the retention expires). Returns how many rows were forgotten.
        """
        with self._db.transaction() as db:
            rows = db.execute("SELECT id, created, blob FROM cohort ORDER BY id").fetchall()
            if not rows or not len(templates):
                return 0
            vectors = self._codec.decode_many([r[2] for r in rows], [_CONTEXT] * len(rows))
            scores = vectors @ np.asarray(templates, np.float32).T
            best = scores.argmax(axis=1)
            created = np.array([r[1] for r in rows])
            earlier = (scores[np.arange(len(rows)), best] >= min_score) & (created < enrolled_at[best])
            doomed = [(rows[i][0],) for i in np.flatnonzero(earlier)]
            db.executemany("DELETE FROM cohort WHERE id = ?", doomed)
        return len(doomed)

    def __len__(self) -> int:
        return int(self._db.query("SELECT count(*) FROM cohort")[0][0])

    def _prune(self, db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM cohort WHERE created < ?", (self._clock() - self.retention_s,))
        db.execute("DELETE FROM cohort WHERE id NOT IN (SELECT id FROM cohort ORDER BY id DESC LIMIT ?)",
                   (self.max_faces,))

    def close(self) -> None:
        self._db.close()
