"""The emulator's state in one SQLite file: persons, their groups and faces (embeddings as blobs).

Groups have no table of their own: as in the service, a group exists while a person is in it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.emulators.sqlite_state import SqliteState, check_limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS persons (
    person_id TEXT PRIMARY KEY, person_name TEXT NOT NULL, tag TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS memberships (
    person_id TEXT NOT NULL REFERENCES persons ON DELETE CASCADE, group_id TEXT NOT NULL,
    PRIMARY KEY (group_id, person_id));
CREATE INDEX IF NOT EXISTS memberships_by_person ON memberships (person_id);
CREATE TABLE IF NOT EXISTS faces (
    face_id TEXT PRIMARY KEY, person_id TEXT NOT NULL REFERENCES persons ON DELETE CASCADE,
    tag TEXT NOT NULL, embedding BLOB NOT NULL, x REAL, y REAL, width REAL, height REAL,
    roll REAL, yaw REAL, pitch REAL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS faces_by_person ON faces (person_id);
CREATE TABLE IF NOT EXISTS used_signatures (digest BLOB PRIMARY KEY, used REAL NOT NULL);
"""


@dataclass(frozen=True)
class NewFace:
    embedding: np.ndarray
    rect: tuple[float, float, float, float]  # x, y, width, height
    roll: float
    yaw: float
    pitch: float
    tag: str = ""


@dataclass(frozen=True)
class Person:
    person_id: str
    person_name: str
    tag: str
    face_ids: list[str]
    group_ids: list[str]


@dataclass(frozen=True)
class Gallery:
    """Faces of the persons in some groups: row i of ``embeddings`` belongs to ``person_ids[i]``."""

    face_ids: list[str]
    person_ids: list[str]
    embeddings: np.ndarray  # (n, d) float32
    tags: list[str]  # the face's own tag, row by row (a candidate's tag, seed 001)
    group_size: int  # persons in the groups


def new_face_id() -> str:
    return str(secrets.randbits(62))


class Store(SqliteState):
    """Thread-safe; every public method is one transaction."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA, "youtu emulator")

    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _write(self, statements: Iterable[tuple[str, Sequence[object]]]) -> None:
        with self.transaction() as db:
            for sql, args in statements:
                db.execute(sql, args)

    # -- reading ---------------------------------------------------------------------------------

    def person(self, person_id: str) -> Person | None:
        rows = self._rows("SELECT person_name, tag FROM persons WHERE person_id = ?", (person_id,))
        if not rows:
            return None
        return Person(person_id, rows[0][0], rows[0][1], self.face_ids(person_id), self.groups_of(person_id))

    def face_ids(self, person_id: str) -> list[str]:
        rows = self._rows(
            "SELECT face_id FROM faces WHERE person_id = ? ORDER BY created, face_id", (person_id,)
        )
        return [r[0] for r in rows]

    def groups_of(self, person_id: str) -> list[str]:
        rows = self._rows(
            "SELECT group_id FROM memberships WHERE person_id = ? ORDER BY group_id", (person_id,)
        )
        return [r[0] for r in rows]

    def group_ids(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT DISTINCT group_id FROM memberships ORDER BY group_id")]

    def group_count(self) -> int:
        return int(self._rows("SELECT COUNT(DISTINCT group_id) FROM memberships")[0][0])

    def person_ids(self, group_id: str) -> list[str]:
        rows = self._rows(
            "SELECT person_id FROM memberships WHERE group_id = ? ORDER BY person_id", (group_id,)
        )
        return [r[0] for r in rows]

    def persons_in(self, group_id: str) -> int:
        return int(self._rows("SELECT COUNT(*) FROM memberships WHERE group_id = ?", (group_id,))[0][0])

    def face(self, face_id: str) -> dict[str, object] | None:
        rows = self._rows(
            "SELECT face_id, CAST(ROUND(x) AS INTEGER), CAST(ROUND(y) AS INTEGER), width, height, "
            "CAST(ROUND(roll) AS INTEGER), CAST(ROUND(yaw) AS INTEGER), CAST(ROUND(pitch) AS INTEGER) "
            "FROM faces WHERE face_id = ?",  # Int in seed 002, but for the size
            (face_id,),
        )
        if not rows:
            return None
        return dict(zip(("face_id", "x", "y", "width", "height", "roll", "yaw", "pitch"), rows[0]))

    def embeddings_of(self, person_id: str) -> list[tuple[str, np.ndarray]]:
        rows = self._rows("SELECT face_id, embedding FROM faces WHERE person_id = ?", (person_id,))
        return [(face_id, np.frombuffer(blob, dtype=np.float32)) for face_id, blob in rows]

    def gallery(self, group_ids: Sequence[str]) -> Gallery:
        marks = ",".join("?" * len(group_ids))
        members = f"SELECT DISTINCT person_id FROM memberships WHERE group_id IN ({marks})"
        rows = self._rows(
            f"SELECT f.face_id, f.person_id, f.embedding, f.tag FROM faces f "
            f"WHERE f.person_id IN ({members})",
            list(group_ids),
        )
        size = self._rows(f"SELECT COUNT(*) FROM ({members})", list(group_ids))[0][0]
        embeddings = (
            np.stack([np.frombuffer(r[2], dtype=np.float32) for r in rows])
            if rows
            else np.zeros((0, 0), dtype=np.float32)
        )
        return Gallery(
            [r[0] for r in rows], [r[1] for r in rows], embeddings, [r[3] for r in rows], int(size)
        )

    # -- writing ---------------------------------------------------------------------------------

    def create_person(
        self, person_id: str, person_name: str, tag: str, group_ids: Sequence[str], face: NewFace
    ) -> str:
        face_id = new_face_id()
        self._write(
            [
                ("INSERT INTO persons VALUES (?, ?, ?)", (person_id, person_name, tag)),
                *(("INSERT INTO memberships VALUES (?, ?)", (person_id, g)) for g in group_ids),
                self._face_insert(person_id, face_id, face),
            ]
        )
        return face_id

    def add_face(self, person_id: str, face: NewFace, max_faces: int) -> str:
        """The new face's id; :class:`LimitReached` if the person holds ``max_faces`` already."""
        face_id = new_face_id()
        with self.transaction() as db:
            check_limit(db, "SELECT COUNT(*) FROM faces WHERE person_id = ?", (person_id,), max_faces)
            db.execute(*self._face_insert(person_id, face_id, face))
        return face_id

    @staticmethod
    def _face_insert(person_id: str, face_id: str, face: NewFace) -> tuple[str, Sequence[object]]:
        blob = np.ascontiguousarray(face.embedding, dtype=np.float32).tobytes()
        return (
            "INSERT INTO faces VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (face_id, person_id, face.tag, blob, *face.rect, face.roll, face.yaw, face.pitch, time.time()),
        )

    def first_use(self, digest: bytes) -> bool:
        """Record a single-use signature; False if it was recorded before (even before a restart)."""
        with self.transaction() as db:
            cursor = db.execute("INSERT OR IGNORE INTO used_signatures VALUES (?, ?)", (digest, time.time()))
            return cursor.rowcount == 1

    def delete_person(self, person_id: str) -> None:
        self._write([("DELETE FROM persons WHERE person_id = ?", (person_id,))])

    def delete_faces(self, person_id: str, face_ids: Sequence[str]) -> list[str]:
        present = set(self.face_ids(person_id))
        gone = [f for f in dict.fromkeys(face_ids) if f in present]
        self._write([("DELETE FROM faces WHERE face_id = ?", (f,)) for f in gone])
        return gone

    def set_info(self, person_id: str, person_name: str | None, tag: str | None) -> None:
        self._write(
            [
                (
                    "UPDATE persons SET person_name = coalesce(?, person_name), tag = coalesce(?, tag) "
                    "WHERE person_id = ?",
                    (person_name, tag, person_id),
                )
            ]
        )

    def add_groups(self, person_id: str, group_ids: Sequence[str]) -> None:
        self._write([("INSERT OR IGNORE INTO memberships VALUES (?, ?)", (person_id, g)) for g in group_ids])

    def remove_groups(self, person_id: str, group_ids: Sequence[str]) -> None:
        self._write(
            [
                ("DELETE FROM memberships WHERE person_id = ? AND group_id = ?", (person_id, g))
                for g in group_ids
            ]
        )
