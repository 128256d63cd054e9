"""The local server's state in SQLite: groups, persons (in groups), faces with embeddings."""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

import numpy as np

from edge.emulators.sqlite_state import SqliteState, check_limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS groups (
    group_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, tag TEXT NOT NULL,
    version TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS group_fields (  -- GroupExDescriptions, by index
    group_id TEXT NOT NULL REFERENCES groups(group_id) ON DELETE CASCADE, idx INTEGER NOT NULL,
    name TEXT NOT NULL, PRIMARY KEY (group_id, idx));
CREATE TABLE IF NOT EXISTS persons (
    person_id TEXT PRIMARY KEY, name TEXT NOT NULL, gender INTEGER NOT NULL,
    created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS members (
    group_id TEXT NOT NULL REFERENCES groups(group_id) ON DELETE CASCADE,
    person_id TEXT NOT NULL REFERENCES persons(person_id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, person_id));
CREATE TABLE IF NOT EXISTS member_fields (  -- PersonExDescriptions, by the group's index
    group_id TEXT NOT NULL, person_id TEXT NOT NULL, idx INTEGER NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (group_id, person_id, idx),
    FOREIGN KEY (group_id, person_id) REFERENCES members(group_id, person_id) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS faces (
    face_id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons(person_id) ON DELETE CASCADE,
    embedding BLOB NOT NULL, created_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS faces_by_person ON faces(person_id);
CREATE TABLE IF NOT EXISTS upgrade_jobs (  -- UpgradeGroupFaceModelVersion
    job_id TEXT PRIMARY KEY, group_id TEXT NOT NULL, from_version TEXT NOT NULL,
    to_version TEXT NOT NULL, start_ms INTEGER NOT NULL, status INTEGER NOT NULL);
"""


def _now_ms() -> int:
    return int(time.time() * 1000)


def new_face_id() -> str:
    """A decimal id like the service's (19 digits)."""
    return str(10**18 + secrets.randbelow(9 * 10**18))


@dataclass(frozen=True)
class Group:
    group_id: str
    name: str
    tag: str
    version: str
    created_ms: int
    ex_descriptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpgradeJob:
    job_id: str
    group_id: str
    from_version: str
    to_version: str
    start_ms: int
    status: int  # 1 upgraded, 2 reverted (the emulator's upgrades finish at once)


@dataclass(frozen=True)
class Person:
    person_id: str
    name: str
    gender: int
    created_ms: int
    face_ids: tuple[str, ...]
    group_ids: tuple[str, ...]


@dataclass(frozen=True)
class GalleryFace:
    person_id: str
    face_id: str
    embedding: np.ndarray


class Store(SqliteState):
    """One connection guarded by a lock: the server's handlers run in a thread pool."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA, "iai emulator")

    # -- groups --------------------------------------------------------------------------------

    def add_group(self, group_id: str, name: str, tag: str, version: str,
                  ex_descriptions: Sequence[str] = ()) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO groups VALUES (?, ?, ?, ?, ?)", (group_id, name, tag, version, _now_ms()))
            db.executemany("INSERT INTO group_fields VALUES (?, ?, ?)",
                           [(group_id, i, d) for i, d in enumerate(ex_descriptions)])

    @staticmethod
    def _group(db: sqlite3.Connection, row: tuple[str, str, str, str, int] | None) -> Group | None:
        if row is None:
            return None
        fields = db.execute("SELECT name FROM group_fields WHERE group_id = ? ORDER BY idx", (row[0],))
        return Group(*row, tuple(name for (name,) in fields))

    def group(self, group_id: str) -> Group | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM groups WHERE group_id = ?", (group_id,)).fetchone()
            return self._group(db, row)

    def group_named(self, name: str) -> Group | None:
        with self.transaction() as db:
            return self._group(db, db.execute("SELECT * FROM groups WHERE name = ?", (name,)).fetchone())

    def groups(self, offset: int, limit: int) -> tuple[list[Group], int]:
        with self.transaction() as db:
            rows = db.execute(
                "SELECT * FROM groups ORDER BY created_ms, group_id LIMIT ? OFFSET ?", (limit, offset)
            ).fetchall()
            (total,) = db.execute("SELECT COUNT(*) FROM groups").fetchone()
            groups = [self._group(db, row) for row in rows]
        return [g for g in groups if g is not None], total

    def modify_group(self, group_id: str, name: str | None, tag: str | None,
                     ex_descriptions: dict[int, str]) -> None:
        """A new name and/or tag; ``ex_descriptions`` sets fields by index (an empty value deletes
        the field and every person's value of it)."""
        with self.transaction() as db:
            db.execute("UPDATE groups SET name = coalesce(?, name), tag = coalesce(?, tag) "
                       "WHERE group_id = ?", (name, tag, group_id))
            for idx, value in ex_descriptions.items():
                if value:
                    db.execute("INSERT OR REPLACE INTO group_fields VALUES (?, ?, ?)", (group_id, idx, value))
                else:
                    db.execute("DELETE FROM group_fields WHERE group_id = ? AND idx = ?", (group_id, idx))
                    db.execute("DELETE FROM member_fields WHERE group_id = ? AND idx = ?", (group_id, idx))

    def upgrade_group(self, group_id: str, to_version: str, status: int) -> UpgradeJob:
        """A finished upgrade job: the group's model version becomes ``to_version``."""
        with self.transaction() as db:
            (from_version,) = db.execute("SELECT version FROM groups WHERE group_id = ?",
                                         (group_id,)).fetchone()
            job = UpgradeJob(secrets.token_hex(16), group_id, from_version, to_version, _now_ms(), status)
            db.execute("INSERT INTO upgrade_jobs VALUES (?, ?, ?, ?, ?, ?)", astuple(job))
            db.execute("UPDATE groups SET version = ? WHERE group_id = ?", (to_version, group_id))
        return job

    def revert_upgrade(self, job: UpgradeJob, status: int) -> None:
        """The group back on the job's ``from_version``; the job marked ``status``."""
        with self.transaction() as db:
            db.execute("UPDATE groups SET version = ? WHERE group_id = ?", (job.from_version, job.group_id))
            db.execute("UPDATE upgrade_jobs SET status = ? WHERE job_id = ?", (status, job.job_id))

    def upgrade_job(self, job_id: str) -> UpgradeJob | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM upgrade_jobs WHERE job_id = ?", (job_id,)).fetchone()
        return UpgradeJob(*row) if row else None

    def upgrade_jobs(self, offset: int, limit: int) -> tuple[list[UpgradeJob], int]:
        with self.transaction() as db:
            rows = db.execute("SELECT * FROM upgrade_jobs ORDER BY start_ms, job_id LIMIT ? OFFSET ?",
                              (limit, offset)).fetchall()
            (total,) = db.execute("SELECT COUNT(*) FROM upgrade_jobs").fetchone()
        return [UpgradeJob(*row) for row in rows], total

    def delete_group(self, group_id: str) -> None:
        """The group and the persons in no other group (with their faces)."""
        with self.transaction() as db:
            db.execute(
                "DELETE FROM persons WHERE person_id IN (SELECT person_id FROM members WHERE group_id = ?) "
                "AND person_id NOT IN (SELECT person_id FROM members WHERE group_id != ?)",
                (group_id, group_id))
            db.execute("DELETE FROM groups WHERE group_id = ?", (group_id,))

    def remove_member(self, group_id: str, person_id: str) -> bool:
        """Out of the group; a person in no other group is deleted. False if not a member."""
        with self.transaction() as db:
            if not db.execute("DELETE FROM members WHERE group_id = ? AND person_id = ?",
                              (group_id, person_id)).rowcount:
                return False
            if not db.execute("SELECT 1 FROM members WHERE person_id = ?", (person_id,)).fetchone():
                db.execute("DELETE FROM persons WHERE person_id = ?", (person_id,))
            return True

    def person_fields(self, group_id: str, person_id: str) -> dict[int, str]:
        with self.transaction() as db:
            rows = db.execute("SELECT idx, value FROM member_fields WHERE group_id = ? AND person_id = ?",
                              (group_id, person_id)).fetchall()
        return dict(rows)

    def set_person_fields(self, group_id: str, person_id: str, values: dict[int, str]) -> None:
        """Set a person's values of the group's fields by index (empty deletes)."""
        with self.transaction() as db:
            for idx, value in values.items():
                db.execute("DELETE FROM member_fields WHERE group_id = ? AND person_id = ? AND idx = ?",
                           (group_id, person_id, idx))
                if value:
                    db.execute("INSERT INTO member_fields VALUES (?, ?, ?, ?)",
                               (group_id, person_id, idx, value))

    def modify_person(self, person_id: str, name: str | None, gender: int | None) -> None:
        with self.transaction() as db:
            db.execute("UPDATE persons SET name = coalesce(?, name), gender = coalesce(?, gender) "
                       "WHERE person_id = ?", (name, gender, person_id))

    def counts_in_group(self, group_id: str) -> tuple[int, int]:
        """(persons, faces) of the group."""
        with self.transaction() as db:
            (persons,) = db.execute("SELECT COUNT(*) FROM members WHERE group_id = ?",
                                    (group_id,)).fetchone()
            (faces,) = db.execute("SELECT COUNT(*) FROM faces f JOIN members m USING (person_id) "
                                  "WHERE m.group_id = ?", (group_id,)).fetchone()
        return persons, faces

    # -- persons and faces ---------------------------------------------------------------------

    def add_person(
        self, person_id: str, name: str, gender: int, group_id: str, face_id: str, embedding: np.ndarray
    ) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO persons VALUES (?, ?, ?, ?)", (person_id, name, gender, _now_ms()))
            db.execute("INSERT INTO members VALUES (?, ?)", (group_id, person_id))
            self._insert_face(db, person_id, face_id, embedding)

    @staticmethod
    def _insert_face(db: sqlite3.Connection, person_id: str, face_id: str, embedding: np.ndarray) -> None:
        blob = np.asarray(embedding, np.float32).tobytes()
        db.execute("INSERT INTO faces VALUES (?, ?, ?, ?)", (face_id, person_id, blob, _now_ms()))

    def add_faces(self, person_id: str, faces: Sequence[tuple[str, np.ndarray]], max_faces: int) -> None:
        """All of ``faces`` or, if the person would then hold over ``max_faces``, none
        (:class:`LimitReached`)."""
        with self.transaction() as db:
            check_limit(db, "SELECT COUNT(*) FROM faces WHERE person_id = ?", (person_id,), max_faces,
                        len(faces))
            for face_id, embedding in faces:
                self._insert_face(db, person_id, face_id, embedding)

    def add_memberships(self, person_id: str, group_ids: Sequence[str]) -> None:
        with self.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO members VALUES (?, ?)", [(g, person_id) for g in group_ids])

    def delete_faces(self, person_id: str, face_ids: Sequence[str]) -> list[str]:
        with self.transaction() as db:
            deleted = []
            for face_id in face_ids:
                cursor = db.execute(
                    "DELETE FROM faces WHERE person_id = ? AND face_id = ?", (person_id, face_id)
                )
                if cursor.rowcount:
                    deleted.append(face_id)
        return deleted

    def delete_person(self, person_id: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM persons WHERE person_id = ?", (person_id,)).rowcount > 0

    def _person(self, db: sqlite3.Connection, row: tuple[str, str, int, int]) -> Person:
        person_id = row[0]
        faces = db.execute(
            "SELECT face_id FROM faces WHERE person_id = ? ORDER BY created_ms, face_id", (person_id,)
        )
        groups = db.execute("SELECT group_id FROM members WHERE person_id = ? ORDER BY 1", (person_id,))
        return Person(*row, tuple(f for (f,) in faces), tuple(g for (g,) in groups))

    def person(self, person_id: str) -> Person | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM persons WHERE person_id = ?", (person_id,)).fetchone()
            return self._person(db, row) if row else None

    def persons_in_group(self, group_id: str, offset: int, limit: int) -> tuple[list[Person], int, int]:
        """A page of the group's persons, and the group's person and face counts."""
        with self.transaction() as db:
            rows = db.execute(
                "SELECT p.* FROM persons p JOIN members m USING (person_id) WHERE m.group_id = ? "
                "ORDER BY p.created_ms, p.person_id LIMIT ? OFFSET ?",
                (group_id, limit, offset),
            ).fetchall()
            persons = [self._person(db, row) for row in rows]
            (person_count,) = db.execute(
                "SELECT COUNT(*) FROM members WHERE group_id = ?", (group_id,)
            ).fetchone()
            (face_count,) = db.execute(
                "SELECT COUNT(*) FROM faces f JOIN members m USING (person_id) WHERE m.group_id = ?",
                (group_id,),
            ).fetchone()
        return persons, person_count, face_count

    def faces(self, *, group_ids: Sequence[str] = (), person_id: str | None = None) -> list[GalleryFace]:
        """Every face of the persons in these groups (each face once), or of one person."""
        with self.transaction() as db:
            if person_id is not None:
                rows = db.execute(
                    "SELECT person_id, face_id, embedding FROM faces WHERE person_id = ?", (person_id,)
                ).fetchall()
            else:
                marks = ",".join("?" * len(group_ids))
                rows = db.execute(
                    "SELECT DISTINCT f.person_id, f.face_id, f.embedding FROM faces f "
                    f"JOIN members m USING (person_id) WHERE m.group_id IN ({marks})",
                    tuple(group_ids),
                ).fetchall()
        return [GalleryFace(p, f, np.frombuffer(blob, np.float32)) for p, f, blob in rows]
