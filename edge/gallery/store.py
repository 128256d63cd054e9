"""The gallery: people, groups, faces and each person's records in the clouds, in SQLite (WAL).

Only what identification needs is kept: ids, names, group memberships, embeddings (no face
images; a photo waits in ``pending_uploads`` only until a cloud that missed it has received it).
Searches read an immutable :class:`~edge.gallery.search.GallerySnapshot`, rebuilt after any
change, including changes committed by another process (``PRAGMA data_version``), e.g. an
``edge people`` command run while the service is up.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from edge.errors import BadInput, ConfigError, DamagedStore, SealBroken, StoreError, UserError
from edge.gallery.codec import EmbeddingCodec, read_key
from edge.gallery.ids import check_id, check_name
from edge.gallery.schema import MIGRATIONS
from edge.gallery.search import GallerySnapshot, PersonEntry
from edge.storage.sqlite import Database

if TYPE_CHECKING:
    from edge.config.settings import Settings

log = logging.getLogger(__name__)

FaceSource = Literal["enrolled", "learned"]
_KEY_CHECK = "key_check"
_DESCRIPTOR = "descriptor"
# galleries written before the descriptor was recorded hold the only descriptor there was then
LEGACY_DESCRIPTOR = "face-api-descriptor"


@dataclass(frozen=True)
class RemoteRecord:
    """A person's record in one cloud backend."""

    backend: str
    remote_id: str | None
    state: Literal["synced", "pending"]
    error: str | None = None


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    groups: tuple[str, ...]
    created: float
    last_confirmed: float
    enrolled_faces: int
    learned_faces: int
    remote: tuple[RemoteRecord, ...] = ()

    @property
    def faces(self) -> int:
        return self.enrolled_faces + self.learned_faces

    @property
    def sync_pending(self) -> bool:
        return any(r.state == "pending" for r in self.remote)


@dataclass(frozen=True)
class StoredFace:
    id: int
    source: FaceSource
    quality: float | None
    created: float
    embedding: np.ndarray


@dataclass
class GalleryEvents:
    """Hooks for other parts: Home Assistant entities (MQTT sink), audit pseudonymization.

    ``person_added(person_id, name)`` after enrollment, ``person_removed(person_id)`` after a
    removal (by command or revocation sync), ``person_forgotten(person_id)`` after ``forget``.
    A failing hook is logged and does not undo the change.
    """

    person_added: list[Callable[[str, str], None]] = field(default_factory=list)
    person_removed: list[Callable[[str], None]] = field(default_factory=list)
    person_forgotten: list[Callable[[str], None]] = field(default_factory=list)

    @staticmethod
    def emit(hooks: Sequence[Callable[..., None]], *args: str) -> None:
        for hook in hooks:
            try:
                hook(*args)
            except Exception:
                log.exception("gallery hook %s failed", getattr(hook, "__qualname__", hook))


class GalleryStore:
    """The gallery file; thread-safe (one connection behind a lock).

    ``descriptor`` names the descriptor model whose embeddings the caller stores and searches
    (``vision.descriptor_model``): the gallery records it, and refuses to open for another one
    while it holds faces, since embeddings of two models cannot be compared. None skips the check.
    """

    def __init__(self, path: Path, key: bytes | None = None, descriptor: str | None = None) -> None:
        self.path = path
        self.events = GalleryEvents()
        self._snapshot: GallerySnapshot | None = None
        self._snapshot_data_version = -1
        self._changed = True
        # people the hooks know of (None until the first snapshot); see snapshot()
        self._announced: dict[str, str] | None = None
        self._store = self._open(path)
        self._lock = self._store.lock
        self._db = self._store.db
        try:
            self._codec = self._open_codec(key)
            if descriptor is not None:
                self._claim_descriptor(descriptor)
        except BaseException:
            self._store.close()
            raise

    @classmethod
    def from_settings(cls, settings: Settings) -> GalleryStore:
        """The appliance's gallery (``gallery.path``), with its key if one is configured."""
        key_file = settings.gallery.encryption_key_file
        return cls(settings.gallery_path, read_key(key_file) if key_file else None,
                   settings.vision.descriptor_model)

    @staticmethod
    def _open(path: Path) -> Database:
        try:
            return Database(path, name="gallery", migrations=MIGRATIONS, secure_delete=True)
        except DamagedStore as exc:
            raise UserError(f"{exc}: the gallery is corrupted: restore it from a backup, or move "
                            "it aside and enroll again") from exc
        except StoreError as exc:
            raise UserError(str(exc)) from exc

    def _open_codec(self, key: bytes | None) -> EmbeddingCodec:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (_KEY_CHECK,)).fetchone()
        codec = EmbeddingCodec(key)
        if row is not None:
            if key is None:
                raise ConfigError([f"gallery.encryption_key_file: gallery {self.path} is encrypted; "
                                   "set this to the file of its key"])
            if not codec.accepts(row[0]):
                raise ConfigError([f"gallery.encryption_key_file: wrong key: gallery {self.path} was "
                                   "encrypted with another key"])
        elif key is not None:
            if self._db.execute("SELECT 1 FROM faces LIMIT 1").fetchone():
                raise ConfigError([f"gallery.encryption_key_file: gallery {self.path} holds unencrypted "
                                   "faces; remove the key setting, or enroll into a new gallery"])
            self._db.execute("INSERT INTO meta VALUES (?, ?)", (_KEY_CHECK, codec.key_check_value()))
        return codec

    def _claim_descriptor(self, descriptor: str) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (_DESCRIPTOR,)).fetchone()
        holds_faces = self._db.execute("SELECT 1 FROM faces LIMIT 1").fetchone() is not None
        recorded = str(row[0]) if row is not None else LEGACY_DESCRIPTOR if holds_faces else None
        if recorded == descriptor and row is not None:
            return
        if recorded is not None and recorded != descriptor and holds_faces:
            raise ConfigError([
                f"vision.descriptor: gallery {self.path} holds embeddings of the descriptor model "
                f"'{recorded}', but the settings run '{descriptor}' (embeddings of two models cannot be "
                "compared). Either set vision.descriptor / vision.descriptor_precision back to what "
                "made the gallery, or enroll everyone again with the new descriptor into a new gallery "
                f"(set gallery.path, or move {self.path.name} aside)"])
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_DESCRIPTOR, descriptor))

    @property
    def encrypted(self) -> bool:
        return self._codec.encrypted

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> GalleryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with self._store.transaction() as db:  # inside batch(): part of its transaction
                    yield db
            finally:  # also after a rollback: a snapshot taken in a batch may hold what was undone
                self._changed = True

    @contextmanager
    def _read(self) -> Iterator[None]:
        """One read transaction (or the batch's, when inside one)."""
        with self._store.snapshot():
            yield

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many writes in one durable transaction (all or none): imports, a person's photos.

        Hooks may run before the commit; other threads wait until the batch ends.
        """
        with self._write():
            yield

    # -- people and groups -------------------------------------------------------------------

    def add_person(self, person_id: str, name: str, groups: Iterable[str], now: float | None = None) -> None:
        check_id(person_id, "person id")
        name = check_name(name)
        groups = [check_id(g, "group") for g in groups]
        now = time.time() if now is None else now
        with self._write() as db:
            same = db.execute("SELECT id FROM people WHERE id = ? COLLATE NOCASE", (person_id,)).fetchone()
            if same:  # ids differing only in case would be told apart by no one reading them
                case_note = "" if same[0] == person_id else " (ids differing only in case are refused)"
                raise BadInput(f"person id {person_id!r}: person {same[0]!r} already exists{case_note}")
            db.execute("INSERT INTO people VALUES (?, ?, ?, ?)", (person_id, name, now, now))
            self._join(db, person_id, groups)
            if self._announced is not None:
                self._announced[person_id] = name
        GalleryEvents.emit(self.events.person_added, person_id, name)

    @staticmethod
    def _join(db: sqlite3.Connection, person_id: str, groups: Iterable[str]) -> None:
        for group in groups:
            db.execute("INSERT OR IGNORE INTO groups VALUES (?)", (group,))
            db.execute("INSERT OR IGNORE INTO memberships VALUES (?, ?)", (person_id, group))

    def rename(self, person_id: str, name: str) -> None:
        name = check_name(name)
        with self._write() as db:
            self._require(db, person_id)
            db.execute("UPDATE people SET name = ? WHERE id = ?", (name, person_id))

    def add_to_groups(self, person_id: str, groups: Iterable[str]) -> None:
        groups = [check_id(g, "group") for g in groups]
        with self._write() as db:
            self._require(db, person_id)
            self._join(db, person_id, groups)

    def remove_from_groups(self, person_id: str, groups: Iterable[str]) -> None:
        with self._write() as db:
            self._require(db, person_id)
            db.executemany("DELETE FROM memberships WHERE person_id = ? AND group_id = ?",
                           [(person_id, g) for g in groups])

    def groups(self) -> dict[str, int]:
        """Every group with its number of members."""
        with self._lock:
            rows = self._db.execute(
                "SELECT g.id, COUNT(m.person_id) FROM groups g LEFT JOIN memberships m "
                "ON m.group_id = g.id GROUP BY g.id ORDER BY g.id").fetchall()
        return {group: count for group, count in rows}

    @staticmethod
    def _require(db: sqlite3.Connection, person_id: str) -> None:
        if not db.execute("SELECT 1 FROM people WHERE id = ?", (person_id,)).fetchone():
            raise BadInput(f"no person {person_id!r} in the gallery")

    def person(self, person_id: str) -> Person | None:
        found = self._people("WHERE p.id = ?", (person_id,))
        return found[0] if found else None

    def require_person(self, person_id: str) -> Person:
        found = self.person(person_id)
        if found is None:
            raise BadInput(f"no person {person_id!r} in the gallery")
        return found

    def people(self) -> list[Person]:
        return self._people("", ())

    def _people(self, where: str, args: tuple[str, ...]) -> list[Person]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT p.id, p.name, p.created, p.last_confirmed FROM people p {where} ORDER BY p.id",
                args).fetchall()
            one = " WHERE person_id = ?" if args else ""  # one person: no scan of everyone's rows
            groups = self._grouped("SELECT person_id, group_id FROM memberships" + one, args)
            sources = self._grouped("SELECT person_id, source FROM faces" + one, args)
            remote = self._grouped("SELECT person_id, backend, remote_id, state, error FROM remote_people"
                                   + one, args)
        return [
            Person(pid, name, tuple(sorted(g for (g,) in groups.get(pid, ()))), created, confirmed,
                   sources.get(pid, []).count(("enrolled",)), sources.get(pid, []).count(("learned",)),
                   tuple(RemoteRecord(*r) for r in remote.get(pid, ())))
            for pid, name, created, confirmed in rows
        ]

    def _grouped(self, query: str, args: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
        """Rows of ``query`` (person id first) by person: one scan instead of one query per person."""
        by_person: dict[str, list[tuple[Any, ...]]] = {}
        for person_id, *rest in self._db.execute(query, args):
            by_person.setdefault(person_id, []).append(tuple(rest))
        return by_person

    def remove(self, person_id: str, owed_deletes: Iterable[tuple[str, str]] = ()) -> bool:
        """Delete the person and all their faces; ``owed_deletes`` = (backend, remote id) still
        to delete in a cloud (``edge people sync`` retries them). False if there was no such person."""
        with self._write() as db:
            gone = db.execute("DELETE FROM people WHERE id = ?", (person_id,)).rowcount > 0
            db.executemany("INSERT OR IGNORE INTO pending_deletes VALUES (?, ?)", list(owed_deletes))
            if self._announced is not None:
                self._announced.pop(person_id, None)
        if gone:
            GalleryEvents.emit(self.events.person_removed, person_id)
        return gone

    def forget(self, person_id: str, owed_deletes: Iterable[tuple[str, str]] = ()) -> bool:
        """Erase everything of a person here and tell the hooks (audit pseudonymization)."""
        gone = self.remove(person_id, owed_deletes)
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no old copy left in the WAL
        if gone:
            GalleryEvents.emit(self.events.person_forgotten, person_id)
        return gone

    def confirm(self, person_ids: Iterable[str], now: float | None = None) -> None:
        """The cloud still holds these people: they may open the door offline until max_age."""
        now = time.time() if now is None else now
        with self._write() as db:
            db.executemany("UPDATE people SET last_confirmed = ? WHERE id = ?",
                           [(now, pid) for pid in person_ids])

    # -- faces -------------------------------------------------------------------------------

    def add_face(self, person_id: str, embedding: np.ndarray, source: FaceSource,
                 quality: float | None = None, now: float | None = None,
                 replace_face_id: int | None = None) -> int:
        """Store one embedding; ``replace_face_id`` deletes that face in the same transaction."""
        vector = np.asarray(embedding, dtype=np.float32).reshape(-1)
        blob = self._codec.encode(vector, person_id)
        now = time.time() if now is None else now
        with self._write() as db:
            self._require(db, person_id)
            if replace_face_id is not None:
                db.execute("DELETE FROM faces WHERE id = ? AND person_id = ?", (replace_face_id, person_id))
            cursor = db.execute(
                "INSERT INTO faces (person_id, embedding, source, quality, created) VALUES (?, ?, ?, ?, ?)",
                (person_id, blob, source, quality, now))
            return int(cursor.lastrowid or 0)

    def faces(self, person_id: str) -> list[StoredFace]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, source, quality, created, embedding FROM faces WHERE person_id = ? ORDER BY id",
                (person_id,)).fetchall()
        return [StoredFace(fid, source, quality, created, self._decode(blob, person_id))
                for fid, source, quality, created, blob in rows]

    def _decode(self, blob: bytes, person_id: str) -> np.ndarray:
        try:
            return self._codec.decode(blob, person_id)
        except SealBroken as exc:
            raise UserError(f"gallery {self.path}: a face of {person_id} fails authentication "
                            "(altered or moved): restore the gallery from a backup") from exc

    def face_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM faces").fetchone()[0])

    # -- records in the clouds -----------------------------------------------------------------

    def set_remote(
        self, person_id: str, backend: str, remote_id: str | None, error: str | None = None
    ) -> None:
        """Record the person's id in ``backend``; no id or an error = still pending there."""
        state = "synced" if remote_id is not None and error is None else "pending"
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO remote_people VALUES (?, ?, ?, ?, ?)",
                       (person_id, backend, remote_id, state, error))

    def remote_records(self, backend: str) -> dict[str, RemoteRecord]:
        """Local person id -> record in ``backend``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT person_id, remote_id, state, error FROM remote_people WHERE backend = ?",
                (backend,)).fetchall()
        return {pid: RemoteRecord(backend, rid, state, error) for pid, rid, state, error in rows}

    def person_for_remote(self, backend: str, remote_id: str) -> str | None:
        """The local person a cloud's id stands for."""
        with self._lock:
            row = self._db.execute(
                "SELECT person_id FROM remote_people WHERE backend = ? AND remote_id = ?",
                (backend, remote_id)).fetchone()
        return str(row[0]) if row else None

    def add_pending_upload(self, person_id: str, backend: str, jpeg: bytes) -> None:
        with self._write() as db:
            db.execute("INSERT INTO pending_uploads (person_id, backend, jpeg) VALUES (?, ?, ?)",
                       (person_id, backend, self._codec.seal(jpeg, f"upload:{person_id}")))

    def pending_uploads(self, person_id: str, backend: str) -> list[tuple[int, bytes]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, jpeg FROM pending_uploads WHERE person_id = ? AND backend = ? ORDER BY id",
                (person_id, backend)).fetchall()
        return [(uid, self._codec.unseal(blob, f"upload:{person_id}")) for uid, blob in rows]

    def drop_pending_upload(self, upload_id: int) -> None:
        with self._write() as db:
            db.execute("DELETE FROM pending_uploads WHERE id = ?", (upload_id,))

    def pending_deletes(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(b, r) for b, r in self._db.execute("SELECT backend, remote_id FROM pending_deletes")]

    def clear_pending_delete(self, backend: str, remote_id: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM pending_deletes WHERE backend = ? AND remote_id = ?",
                       (backend, remote_id))

    # -- search snapshot -----------------------------------------------------------------------

    def snapshot(self) -> GallerySnapshot:
        """The current searchable gallery (cheap when nothing changed since the last call).

        People added or removed by another process (``edge people ...`` while the service runs)
        are announced to the hooks here, so Home Assistant learns of them without a restart.
        """
        added: list[tuple[str, str]] = []
        removed: list[str] = []
        with self._lock:
            data_version = int(self._db.execute("PRAGMA data_version").fetchone()[0])
            if self._snapshot is None or self._changed or data_version != self._snapshot_data_version:
                previous = self._snapshot.version if self._snapshot else 0
                self._snapshot = self._load_snapshot(previous + 1)
                self._snapshot_data_version = data_version
                self._changed = False
                now_known = {p.person_id: p.name for p in self._snapshot.people}
                if self._announced is not None:
                    added = [(pid, name) for pid, name in now_known.items() if pid not in self._announced]
                    removed = [pid for pid in self._announced if pid not in now_known]
                self._announced = now_known
            snapshot = self._snapshot
        for person_id, name in added:
            GalleryEvents.emit(self.events.person_added, person_id, name)
        for person_id in removed:
            GalleryEvents.emit(self.events.person_removed, person_id)
        return snapshot

    def _load_snapshot(self, version: int) -> GallerySnapshot:
        with self._read():  # people and faces of the same moment
            people = self._db.execute("SELECT id, name, last_confirmed FROM people ORDER BY id").fetchall()
            groups = self._grouped("SELECT person_id, group_id FROM memberships")
            rows = self._db.execute(
                "SELECT person_id, embedding FROM faces ORDER BY person_id, id").fetchall()
        try:
            matrix = self._codec.decode_many([blob for _, blob in rows], [pid for pid, _ in rows])
        except SealBroken as exc:
            raise UserError(f"gallery {self.path}: a face fails authentication (altered or moved): "
                            "restore the gallery from a backup") from exc
        matrix.flags.writeable = False  # shared by every view of this snapshot
        counts = Counter(pid for pid, _ in rows)
        group_sets: dict[tuple[tuple[Any, ...], ...], frozenset[str]] = {}  # most people share a few

        def group_set(person_id: str) -> frozenset[str]:
            key = tuple(groups.get(person_id, ()))
            found = group_sets.get(key)
            if found is None:
                found = group_sets[key] = frozenset(g for (g,) in key)
            return found

        entries = tuple(PersonEntry(pid, name, group_set(pid), confirmed, counts[pid])
                        for pid, name, confirmed in people)
        return GallerySnapshot(entries, matrix, version)
