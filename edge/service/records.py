"""The audit log: one row per access decision, kept for a retention period, forgettable per person.

SQLite under ``service.state_dir``. No images are kept unless ``service.keep_face_images`` is on;
then each decision's face crop is a 0600 file under ``<state_dir>/faces`` with a short retention.
:meth:`AuditLog.forget` pseudonymizes a person's rows: the id becomes ``forgotten-<keyed hash>``
(stable per person, so counts still add up, but not reversible without the device's key), the
name is erased and the face images are deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import pwd
import re
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from edge.access.event import AccessEvent
from edge.errors import BadInput, DamagedStore, StoreError, UserError
from edge.service.config import ServiceSettings
from edge.storage.private import create_private, private_folder
from edge.storage.sqlite import Database, move_aside, run_script

log = logging.getLogger(__name__)

DAY_S = 86400.0
FORGOTTEN_PREFIX = "forgotten-"
_SAFE_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    event_id     TEXT PRIMARY KEY,
    time         REAL NOT NULL,
    device       TEXT NOT NULL,
    door         TEXT NOT NULL,
    decision     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    person_id    TEXT,
    person_name  TEXT,
    backend      TEXT,
    score        REAL,
    scale        TEXT,
    threshold    REAL,
    false_accept REAL,
    offline      INTEGER,
    frames_used  INTEGER NOT NULL,
    latency_ms   REAL,
    face_file    TEXT
);
CREATE INDEX IF NOT EXISTS decisions_time ON decisions(time);
CREATE INDEX IF NOT EXISTS decisions_person ON decisions(person_id);
"""
# what the web console's users changed (version 2)
_ACTIONS = """
CREATE TABLE actions (
    time    REAL NOT NULL,
    user    TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT,
    detail  TEXT
);
CREATE INDEX actions_time ON actions(time);
"""
# An operator enrolled a face that matches another person as a new person (one person, one id;
# version 3).
_OVERRIDES = """
CREATE TABLE enrollment_overrides (
    time         REAL NOT NULL,
    person_id    TEXT NOT NULL,
    other_id     TEXT NOT NULL,
    score        REAL NOT NULL,
    threshold    REAL NOT NULL,
    reason       TEXT NOT NULL
);
"""
# Version 1 is the schema audit logs had before versioning (hence IF NOT EXISTS).
MIGRATIONS = [lambda db: run_script(db, _SCHEMA), lambda db: run_script(db, _ACTIONS),
              lambda db: run_script(db, _OVERRIDES)]


@dataclass(frozen=True)
class AuditEntry:
    event_id: str
    time: datetime
    decision: str
    reason: str
    person_id: str | None
    person_name: str | None
    backend: str | None
    score: float | None
    threshold: float | None
    false_accept: float | None
    face_file: Path | None


@dataclass(frozen=True)
class AuditAction:
    """A change made by someone (console or command), e.g. ``("admin", "person.remove", "bob")``."""

    time: datetime
    user: str
    action: str
    target: str | None
    detail: str | None


@dataclass(frozen=True)
class EnrollmentOverride:
    """``person_id`` enrolled although a face matched ``other_id`` at ``score`` >= ``threshold``."""

    time: datetime
    person_id: str
    other_id: str
    score: float
    threshold: float
    reason: str


@dataclass(frozen=True)
class ForgetReport:
    entries: int
    face_images: int
    pseudonym: str


def _refuse_foreign_state(folder: Path) -> None:
    """Root must not open the service's database: files SQLite creates (-wal, -shm, the key)
    would belong to root and lock the service out of its own records."""
    owner = folder.stat().st_uid
    if os.geteuid() == 0 and owner != 0:
        try:
            name = pwd.getpwuid(owner).pw_name
        except KeyError:
            name = str(owner)
        raise UserError(f"{folder} belongs to {name}: run this as that user (sudo -u {name} edge ...)")


class AuditLog:
    def __init__(
        self,
        path: Path,
        *,
        retention_days: int = 90,
        keep_face_images: bool = False,
        face_retention_days: int = 7,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.retention_days = retention_days
        self.keep_face_images = keep_face_images
        self.face_retention_days = face_retention_days
        self.faces_dir = path.parent / "faces"
        self._key_path = path.parent / "audit.key"
        self._clock = clock
        private_folder(path.parent)
        _refuse_foreign_state(path.parent)
        self._store = self._open()
        self._lock = self._store.lock
        self._db = self._store.db
        self._next_prune = 0.0
        self.prune()

    def _open(self) -> Database:
        """The database; a damaged one is moved aside to ``<path>.damaged`` (kept for inspection)
        and a new one started, so that a damaged record of the past never keeps the door down."""
        def open_store() -> Database:
            # secure_delete: forgotten and pruned data is overwritten
            return Database(self.path, name="audit log", migrations=MIGRATIONS, secure_delete=True)

        try:
            try:
                return open_store()
            except DamagedStore as exc:
                aside = move_aside(self.path)
                log.error("%s: moved aside to %s; a new audit log starts now", exc, aside)
                return open_store()
        except StoreError as exc:
            raise UserError(f"service.state_dir: {exc}") from exc

    @classmethod
    def from_settings(cls, service: ServiceSettings) -> AuditLog:
        return cls(
            service.state_dir / "audit.sqlite",
            retention_days=service.audit_retention_days,
            keep_face_images=service.keep_face_images,
            face_retention_days=service.face_image_retention_days,
        )

    def record(self, event: AccessEvent, face_jpeg: bytes | None = None) -> None:
        """Append one decision; the face crop is stored only if keeping images is enabled."""
        face_file = None
        if self.keep_face_images and face_jpeg:
            face_file = self._store_face(event.id, face_jpeg)
        match = event.match
        row = (
            event.id, event.time.timestamp(), event.device, event.door, event.decision, event.reason,
            event.person_id, event.person_name,
            match.backend if match else None, match.score if match else None,
            match.scale if match else None, match.threshold if match else None,
            match.false_accept if match else None, int(match.offline) if match else None,
            event.frames_used, event.latency_ms, face_file,
        )
        try:
            with self._store.transaction() as db:
                db.execute(f"INSERT OR REPLACE INTO decisions VALUES ({', '.join('?' * len(row))})", row)
        except sqlite3.Error as exc:  # disk full, I/O error: the runner reports it on /healthz
            raise StoreError(f"audit log {self.path}: {exc}") from exc
        if self._clock() >= self._next_prune:
            self.prune()

    def record_action(self, user: str, action: str, target: str | None = None,
                      detail: str | None = None) -> None:
        """Append who changed what (kept and pruned like the decisions; never secrets or faces)."""
        with self._lock, self._store.transaction() as db:
            db.execute("INSERT INTO actions VALUES (?, ?, ?, ?, ?)",
                       (self._clock(), user, action, target, detail))

    def actions(self, limit: int = 100) -> list[AuditAction]:
        """The newest changes first."""
        with self._lock:
            rows = self._db.execute("SELECT time, user, action, target, detail FROM actions "
                                    "ORDER BY time DESC LIMIT ?", (limit,)).fetchall()
        return [AuditAction(datetime.fromtimestamp(r[0], timezone.utc), *r[1:]) for r in rows]

    def record_override(self, person_id: str, other_id: str, score: float, threshold: float,
                        reason: str) -> None:
        """Keep the operator's reason for enrolling a look-alike of ``other_id`` as a new person."""
        with self._store.transaction() as db:
            db.execute("INSERT INTO enrollment_overrides VALUES (?, ?, ?, ?, ?, ?)",
                       (self._clock(), person_id, other_id, score, threshold, reason))

    def overrides(self) -> list[EnrollmentOverride]:
        """Every recorded override, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM enrollment_overrides ORDER BY time").fetchall()
        return [EnrollmentOverride(datetime.fromtimestamp(r[0], timezone.utc), *r[1:]) for r in rows]

    def _store_face(self, event_id: str, jpeg: bytes) -> str:
        if not _SAFE_ID.fullmatch(event_id):
            raise BadInput(f"event id {event_id!r} cannot name a file")
        self.faces_dir.mkdir(mode=0o700, exist_ok=True)
        name = f"{event_id}.jpg"
        target = self.faces_dir / name
        target.unlink(missing_ok=True)
        create_private(target, jpeg)
        return name

    def prune(self) -> tuple[int, int]:
        """Delete rows past the retention and images past theirs; (rows, images) removed."""
        now = self._clock()
        with self._store.transaction():
            self._next_prune = now + DAY_S
            image_cutoff = now - self.face_retention_days * DAY_S
            images = self._delete_faces("time < ? AND face_file IS NOT NULL", (image_cutoff,))
            self._db.execute("UPDATE decisions SET face_file = NULL WHERE time < ?", (image_cutoff,))
            rows = self._db.execute(
                "DELETE FROM decisions WHERE time < ?", (now - self.retention_days * DAY_S,)
            ).rowcount
            for table in ("actions", "enrollment_overrides"):
                self._db.execute(f"DELETE FROM {table} WHERE time < ?", (now - self.retention_days * DAY_S,))
        if rows or images:
            log.info("audit retention: removed %d decisions and %d face images", rows, images)
        return rows, images

    def forget(self, person_id: str) -> ForgetReport:
        """Pseudonymize every entry of ``person_id`` and delete their face images."""
        pseudonym = self.pseudonym(person_id)
        with self._lock:
            with self._store.transaction():
                images = self._delete_faces("person_id = ?", (person_id,))
                entries = self._db.execute(
                    "UPDATE decisions SET person_id = ?, person_name = NULL, face_file = NULL "
                    "WHERE person_id = ?",
                    (pseudonym, person_id),
                ).rowcount
                self._db.execute("UPDATE actions SET target = ? WHERE target = ?", (pseudonym, person_id))
                for column in ("person_id", "other_id"):
                    self._db.execute(f"UPDATE enrollment_overrides SET {column} = ? WHERE {column} = ?",
                                     (pseudonym, person_id))
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no old copy left in the WAL
        log.info("audit: forgot a person (%d entries pseudonymized, %d images deleted)", entries, images)
        return ForgetReport(entries, images, pseudonym)

    def pseudonym(self, person_id: str) -> str:
        digest = hmac.new(self._key(), person_id.encode("utf-8"), hashlib.sha256).hexdigest()
        return FORGOTTEN_PREFIX + digest[:16]

    def _key(self) -> bytes:
        """The device's pseudonymization key, created on first use (0600 beside the database)."""
        try:
            return self._key_path.read_bytes()
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):  # another process created it meanwhile
                create_private(self._key_path, secrets.token_bytes(32))
            return self._key_path.read_bytes()

    def _delete_faces(self, where: str, args: tuple[object, ...]) -> int:
        deleted = 0
        for (name,) in self._db.execute(f"SELECT face_file FROM decisions WHERE {where}", args).fetchall():
            if name:
                (self.faces_dir / name).unlink(missing_ok=True)
                deleted += 1
        return deleted

    def entries(self, person_id: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """The newest entries first, optionally of one person."""
        query = ("SELECT event_id, time, decision, reason, person_id, person_name, backend, score, "
                 "threshold, false_accept, face_file FROM decisions")
        args: tuple[object, ...] = ()
        if person_id is not None:
            query += " WHERE person_id = ?"
            args = (person_id,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY time DESC LIMIT ?", (*args, limit)).fetchall()
        return [
            AuditEntry(
                event_id=r[0], time=datetime.fromtimestamp(r[1], timezone.utc), decision=r[2],
                reason=r[3], person_id=r[4], person_name=r[5], backend=r[6], score=r[7],
                threshold=r[8], false_accept=r[9], face_file=self.faces_dir / r[10] if r[10] else None,
            )
            for r in rows
        ]

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
