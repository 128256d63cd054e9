"""The gallery store: schema, people and faces, snapshots, encryption at rest, corruption."""

from __future__ import annotations

import base64
import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from edge.errors import BadInput, ConfigError, UserError
from edge.gallery.codec import read_key
from edge.gallery.schema import MIGRATIONS
from edge.gallery.store import GalleryStore


def unit(seed: int, dim: int = 128) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return vector / np.linalg.norm(vector)


def write_key(path: Path) -> Path:
    path.write_bytes(base64.b64encode(os.urandom(32)) + b"\n")
    return path


def test_people_faces_groups_round_trip(tmp_path: Path) -> None:
    with GalleryStore(tmp_path / "g.sqlite") as store:
        store.add_person("alice", "Alice", ["staff", "night"])
        store.add_face("alice", unit(1), "enrolled", quality=0.9)
        store.add_face("alice", unit(2), "learned")
        store.rename("alice", "Alice B.")
        store.remove_from_groups("alice", ["night"])
        person = store.require_person("alice")
        assert (person.name, person.groups, person.enrolled_faces, person.learned_faces) == (
            "Alice B.", ("staff",), 1, 1)
        assert store.groups() == {"night": 0, "staff": 1}
        stored = store.faces("alice")[0].embedding
        assert float(stored @ unit(1)) > 0.9999  # float16 on disk, renormalized float32 back
    with GalleryStore(tmp_path / "g.sqlite") as reopened:
        assert reopened.require_person("alice").faces == 2
        db = sqlite3.connect(tmp_path / "g.sqlite")
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_batch_is_all_or_nothing(tmp_path: Path) -> None:
    with GalleryStore(tmp_path / "g.sqlite") as store:
        store.add_person("alice", "Alice", ["staff"])
        with pytest.raises(BadInput), store.batch():
            store.add_face("alice", unit(1), "enrolled")
            assert store.snapshot().n_persons() == 1
            store.add_face("nobody", unit(2), "enrolled")  # fails: the first face goes too
        assert store.faces("alice") == [] and store.snapshot().n_persons() == 0
        with store.batch():
            store.add_face("alice", unit(1), "enrolled")
            assert store.snapshot().n_persons() == 1  # the batch sees its own writes
            store.add_face("alice", unit(2), "enrolled")
        assert len(store.faces("alice")) == 2 and store.snapshot().n_persons() == 1


def test_bad_ids_and_duplicates_are_refused(tmp_path: Path) -> None:
    with GalleryStore(tmp_path / "g.sqlite") as store:
        with pytest.raises(BadInput, match="person id"):
            store.add_person("a b/../c", "X", [])
        store.add_person("bob", "Bob", ["staff"])
        with pytest.raises(BadInput, match="already exists"):
            store.add_person("bob", "Bob", ["staff"])
        with pytest.raises(BadInput, match="no person 'carol'"):
            store.add_face("carol", unit(3), "enrolled")


def test_forget_erases_everything_and_tells_the_hooks(tmp_path: Path) -> None:
    with GalleryStore(tmp_path / "g.sqlite") as store:
        heard: list[tuple[str, ...]] = []
        store.events.person_added.append(lambda pid, name: heard.append(("added", pid, name)))
        store.events.person_removed.append(lambda pid: heard.append(("removed", pid)))
        store.events.person_forgotten.append(lambda pid: heard.append(("forgotten", pid)))
        store.add_person("bob", "Bob", ["staff"])
        store.add_face("bob", unit(4), "enrolled")
        store.set_remote("bob", "youtu", "bob")
        store.add_pending_upload("bob", "iai", b"jpeg")
        assert store.forget("bob", owed_deletes=[("youtu", "bob")])
        assert heard == [("added", "bob", "Bob"), ("removed", "bob"), ("forgotten", "bob")]
        db = store._db
        for table in ("people", "faces", "memberships", "remote_people", "pending_uploads"):
            assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table
        assert store.pending_deletes() == [("youtu", "bob")]
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("g.sqlite*"))
    assert unit(4).astype("<f2").tobytes() not in on_disk  # overwritten, not just unlinked


def test_snapshot_follows_changes_including_other_connections(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    with GalleryStore(path) as service, GalleryStore(path) as command:
        service.add_person("alice", "Alice", ["staff"])
        service.add_face("alice", unit(1), "enrolled")
        first = service.snapshot()
        assert service.snapshot() is first  # nothing changed: no rebuild
        command.add_person("bob", "Bob", ["visitors"])  # e.g. `edge people add` while running
        command.add_face("bob", unit(2), "enrolled")
        second = service.snapshot()
        assert second.version > first.version
        assert second.n_persons(["staff"]) == 1 and second.n_persons(None) == 2
        hits = second.view(["staff", "visitors"]).search(unit(2))[0]
        assert hits[0].person_id == "bob" and hits[0].score > 0.999


def test_hooks_hear_of_people_added_and_removed_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    with GalleryStore(path) as service, GalleryStore(path) as command:
        heard: list[tuple[str, ...]] = []
        service.events.person_added.append(lambda pid, name: heard.append(("added", pid, name)))
        service.events.person_removed.append(lambda pid: heard.append(("removed", pid)))
        service.add_person("alice", "Alice", ["staff"])  # announced at once, and only once
        service.snapshot()
        command.add_person("bob", "Bob", ["staff"])
        service.snapshot()
        command.remove("alice")
        service.snapshot()
        service.snapshot()
        assert heard == [("added", "alice", "Alice"), ("added", "bob", "Bob"), ("removed", "alice")]


def test_encrypted_store_refuses_another_key_and_a_missing_key(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    key = read_key(write_key(tmp_path / "key"))
    with GalleryStore(path, key) as store:
        assert store.encrypted
        store.add_person("alice", "Alice", ["staff"])
        store.add_face("alice", unit(1), "enrolled")
    raw = sqlite3.connect(path).execute("SELECT embedding FROM faces").fetchone()[0]
    assert unit(1).astype("<f2").tobytes() not in raw
    with pytest.raises(ConfigError, match="wrong key: gallery .* was encrypted with another key"):
        GalleryStore(path, read_key(write_key(tmp_path / "other")))
    with pytest.raises(ConfigError, match="is encrypted; set this to the file of its key"):
        GalleryStore(path, None)
    with GalleryStore(path, key) as store:
        assert float(store.faces("alice")[0].embedding @ unit(1)) > 0.9999


def test_key_file_must_hold_32_bytes(tmp_path: Path) -> None:
    (tmp_path / "short").write_text("c2hvcnQ=\n")
    with pytest.raises(ConfigError, match="must hold a 32-byte key"):
        read_key(tmp_path / "short")
    with pytest.raises(ConfigError, match="cannot read"):
        read_key(tmp_path / "absent")


def test_corrupted_store_is_detected_at_open(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    with GalleryStore(path) as store:
        store.add_person("alice", "Alice", ["staff"])
        for seed in range(200):  # enough rows for several pages
            store.add_face("alice", unit(seed), "enrolled")
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 2: page * 2 + 512] = os.urandom(512)  # garble the middle of a b-tree page
    path.write_bytes(bytes(data))
    with pytest.raises(UserError, match="is corrupted"):
        GalleryStore(path)


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    path.write_bytes(b"this is not sqlite" * 300)
    with pytest.raises(UserError, match="is corrupted"):
        GalleryStore(path)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    GalleryStore(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(UserError, match="newer than this software knows"):
        GalleryStore(path)


def test_a_gallery_answers_only_to_the_descriptor_that_made_its_embeddings(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    with GalleryStore(path, descriptor="facenet") as store:
        store.add_person("alice", "Alice", ["staff"])
        store.add_face("alice", unit(1), "enrolled")
    with GalleryStore(path, descriptor="facenet") as store:
        assert store.snapshot().n_persons() == 1
    with pytest.raises(ConfigError, match="descriptor model 'facenet', but the settings run "
                                          "'face-api-descriptor'.*enroll everyone again"):
        GalleryStore(path, descriptor="face-api-descriptor")


def test_an_empty_gallery_takes_the_new_descriptor(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    with GalleryStore(path, descriptor="face-api-descriptor") as store:
        store.add_person("alice", "Alice", ["staff"])  # a person without faces holds no embedding
    with GalleryStore(path, descriptor="facenet") as store:
        store.add_face("alice", unit(1), "enrolled")
    with pytest.raises(ConfigError, match="'facenet'"):
        GalleryStore(path, descriptor="face-api-descriptor")


def test_a_gallery_from_before_the_record_holds_dlib_embeddings(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    with GalleryStore(path) as store:  # no descriptor recorded, as galleries were before
        store.add_person("alice", "Alice", ["staff"])
        store.add_face("alice", unit(1), "enrolled")
    with pytest.raises(ConfigError, match="'face-api-descriptor', but the settings run 'facenet'"):
        GalleryStore(path, descriptor="facenet")
    GalleryStore(path, descriptor="face-api-descriptor").close()
