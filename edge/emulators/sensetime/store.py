"""The emulator's state in SQLite under its data folder: images, faces, persons, groups,
facesets, async tasks and call usage. Survives restarts.

"Trained" flags follow the document's model: changing a person, group or faceset makes it
untrained until ``/face/training`` (or a 202 task's background training) trains it again.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge.emulators.sqlite_state import SqliteState

SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    image_id TEXT PRIMARY KEY, width INTEGER, height INTEGER, created REAL, user_data TEXT);
CREATE TABLE IF NOT EXISTS faces (
    face_id TEXT PRIMARY KEY, image_id TEXT NOT NULL, rect TEXT NOT NULL, eye_dist REAL,
    keypoints TEXT NOT NULL, embedding BLOB NOT NULL, created REAL NOT NULL, person_id TEXT);
CREATE TABLE IF NOT EXISTS persons (
    person_id TEXT PRIMARY KEY, name TEXT NOT NULL, user_data TEXT, trained INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS groups (
    group_id TEXT PRIMARY KEY, name TEXT NOT NULL, user_data TEXT, trained INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS group_persons (
    group_id TEXT, person_id TEXT, PRIMARY KEY (group_id, person_id));
CREATE TABLE IF NOT EXISTS facesets (
    faceset_id TEXT PRIMARY KEY, name TEXT NOT NULL, user_data TEXT, trained INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS faceset_faces (
    faceset_id TEXT, face_id TEXT, PRIMARY KEY (faceset_id, face_id));
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY, kind TEXT NOT NULL, params TEXT NOT NULL, target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL, created REAL NOT NULL, ready_at REAL NOT NULL,
    status TEXT NOT NULL, result TEXT);
CREATE TABLE IF NOT EXISTS usage (key TEXT PRIMARY KEY, count INTEGER NOT NULL);
"""
# Migrations 2, ...: faces detected before migration 2 have no landmarks21 (NULL).
LATER = ("ALTER TABLE faces ADD COLUMN landmarks21 TEXT",)

# kind -> (table, id column) of the things that can be trained and listed
ENTITIES = {
    "person": ("persons", "person_id"),
    "group": ("groups", "group_id"),
    "faceset": ("facesets", "faceset_id"),
}


def new_id() -> str:
    """Ids are 32 lowercase hex characters, like the API's."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class StoredFace:
    face_id: str
    image_id: str
    rect: dict[str, int]
    eye_dist: float
    keypoints: list[list[float]]
    embedding: np.ndarray
    created: float
    person_id: str | None
    landmarks21: list[list[float]] | None = None  # (21, 2) frame pixels


@dataclass(frozen=True)
class Task:
    task_id: str
    kind: str
    params: dict[str, Any]
    target_kind: str
    target_id: str
    created: float
    ready_at: float
    status: str
    result: dict[str, Any] | None


class Store(SqliteState):
    """One SQLite connection shared by the server's threads behind a lock."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, SCHEMA, "sensetime emulator", LATER)

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cursor = self._db.execute(sql, args)
            cursor.row_factory = sqlite3.Row
            return cursor.fetchall()

    # ---- usage -----------------------------------------------------------------------------

    def count_call(self) -> int:
        """Count one API call; the total so far."""
        with self.transaction() as db:
            db.execute("INSERT INTO usage VALUES ('calls', 1) "
                       "ON CONFLICT(key) DO UPDATE SET count = count + 1")
            return int(db.execute("SELECT count FROM usage WHERE key = 'calls'").fetchone()[0])

    def calls(self) -> int:
        rows = self.query("SELECT count FROM usage WHERE key = 'calls'")
        return int(rows[0]["count"]) if rows else 0

    def count(self, table: str) -> int:
        assert table in {"persons", "groups", "facesets"}
        return int(self.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])

    # ---- images and faces ------------------------------------------------------------------

    def add_image(self, width: int, height: int, created: float, user_data: str | None) -> str:
        image_id = new_id()
        with self.transaction() as db:
            db.execute("INSERT INTO images VALUES (?, ?, ?, ?, ?)",
                       (image_id, width, height, created, user_data))
        return image_id

    def add_face(self, image_id: str, rect: dict[str, int], eye_dist: float, keypoints: list[list[float]],
                 embedding: np.ndarray, created: float, landmarks21: list[list[float]] | None = None) -> str:
        face_id = new_id()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO faces (face_id, image_id, rect, eye_dist, keypoints, embedding, created, "
                "landmarks21) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (face_id, image_id, json.dumps(rect), eye_dist, json.dumps(keypoints),
                 np.asarray(embedding, np.float32).tobytes(), created,
                 None if landmarks21 is None else json.dumps(landmarks21)),
            )
        return face_id

    def image(self, image_id: str) -> sqlite3.Row | None:
        rows = self.query("SELECT * FROM images WHERE image_id = ?", (image_id,))
        return rows[0] if rows else None

    def face(self, face_id: str) -> StoredFace | None:
        rows = self.query("SELECT * FROM faces WHERE face_id = ?", (face_id,))
        return _face(rows[0]) if rows else None

    def faces_where(self, sql: str, args: tuple[Any, ...]) -> list[StoredFace]:
        return [_face(row) for row in self.query(f"SELECT * FROM faces WHERE {sql} ORDER BY created", args)]

    def attached(self, face_id: str) -> bool:
        """True when a person or faceset holds the face (it is kept there until removed)."""
        rows = self.query(
            "SELECT 1 FROM faces WHERE face_id = ? AND person_id IS NOT NULL "
            "UNION SELECT 1 FROM faceset_faces WHERE face_id = ?", (face_id, face_id))
        return bool(rows)

    def forget_face(self, face_id: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM faces WHERE face_id = ?", (face_id,))

    # ---- persons, groups, facesets ---------------------------------------------------------

    def entity(self, kind: str, entity_id: str) -> sqlite3.Row | None:
        table, column = ENTITIES[kind]
        rows = self.query(f"SELECT * FROM {table} WHERE {column} = ?", (entity_id,))
        return rows[0] if rows else None

    def entities(self, kind: str) -> list[sqlite3.Row]:
        table = ENTITIES[kind][0]
        return self.query(f"SELECT * FROM {table} ORDER BY rowid")

    def members(self, group_id: str) -> list[sqlite3.Row]:
        return self.query(
            "SELECT p.* FROM persons p JOIN group_persons g ON g.person_id = p.person_id "
            "WHERE g.group_id = ? ORDER BY g.rowid", (group_id,))

    def faceset_face_ids(self, faceset_id: str) -> list[str]:
        rows = self.query("SELECT face_id FROM faceset_faces WHERE faceset_id = ? ORDER BY rowid",
                          (faceset_id,))
        return [row["face_id"] for row in rows]

    def person_face_ids(self, person_id: str) -> list[str]:
        return [f.face_id for f in self.faces_where("person_id = ?", (person_id,))]

    def set_trained(self, db: sqlite3.Connection, kind: str, entity_id: str, trained: bool) -> None:
        table, column = ENTITIES[kind]
        db.execute(f"UPDATE {table} SET trained = ? WHERE {column} = ?", (int(trained), entity_id))
        if kind == "person" and not trained:
            db.execute("UPDATE groups SET trained = 0 WHERE group_id IN "
                       "(SELECT group_id FROM group_persons WHERE person_id = ?)", (entity_id,))

    # ---- tasks -----------------------------------------------------------------------------

    def add_task(self, kind: str, params: dict[str, Any], target_kind: str, target_id: str,
                 created: float, ready_at: float) -> str:
        task_id = new_id()
        with self.transaction() as db:
            db.execute("INSERT INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', NULL)",
                       (task_id, kind, json.dumps(params), target_kind, target_id, created, ready_at))
        return task_id

    def task(self, task_id: str) -> Task | None:
        rows = self.query("SELECT * FROM tasks WHERE task_id = ?", (task_id,))
        if not rows:
            return None
        row = rows[0]
        return Task(row["task_id"], row["kind"], json.loads(row["params"]), row["target_kind"],
                    row["target_id"], row["created"], row["ready_at"], row["status"],
                    json.loads(row["result"]) if row["result"] else None)

    def finish_task(self, task_id: str, status: str, result: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.execute("UPDATE tasks SET status = ?, result = ? WHERE task_id = ?",
                       (status, json.dumps(result), task_id))


def _face(row: sqlite3.Row) -> StoredFace:
    return StoredFace(
        face_id=row["face_id"], image_id=row["image_id"], rect=json.loads(row["rect"]),
        eye_dist=row["eye_dist"], keypoints=json.loads(row["keypoints"]),
        embedding=np.frombuffer(row["embedding"], np.float32), created=row["created"],
        person_id=row["person_id"],
        landmarks21=json.loads(row["landmarks21"]) if row["landmarks21"] else None,
    )
