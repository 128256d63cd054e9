"""edge.storage.sqlite: the one SQLite helper of the appliance's stores."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from edge.errors import DamagedStore, StoreError
from edge.events.nonces import NonceCache
from edge.events.outbox import Outbox
from edge.gallery.cohort import CohortStore
from edge.gallery.store import GalleryStore
from edge.service.records import AuditLog
from edge.storage.sqlite import Database, run_script

MIGRATIONS = [
    lambda db: run_script(db, "CREATE TABLE t (x INTEGER NOT NULL UNIQUE)"),
    lambda db: run_script(db, "ALTER TABLE t ADD COLUMN y TEXT"),
]


def test_a_failed_statement_rolls_back_and_leaves_no_transaction_open(tmp_path: Path) -> None:
    store = Database(tmp_path / "s.sqlite", name="test", migrations=MIGRATIONS)
    with store.transaction() as db:
        db.execute("INSERT INTO t (x) VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as db:
        db.execute("INSERT INTO t (x) VALUES (2)")
        db.execute("INSERT INTO t (x) VALUES (1)")  # fails: the 2 goes too
    assert not store.db.in_transaction
    with store.transaction(synchronous="NORMAL") as db:  # a pragma change is still allowed
        db.execute("INSERT INTO t (x) VALUES (3)")
    assert store.query("SELECT x FROM t ORDER BY x") == [(1,), (3,)]
    store.close()


def test_migrations_run_once_in_order_and_a_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Database(path, name="test", migrations=MIGRATIONS[:1]).close()
    store = Database(path, name="test", migrations=MIGRATIONS)  # upgrades from 1 to 2
    assert store.schema_version == 2
    assert [r[1] for r in store.query("PRAGMA table_info(t)")] == ["x", "y"]
    store.close()
    with pytest.raises(StoreError, match="newer than this software knows"):
        Database(path, name="test", migrations=MIGRATIONS[:1])


def test_a_damaged_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"not a database at all" * 300)
    with pytest.raises(DamagedStore, match=f"test {path} is damaged"):
        Database(path, name="test", migrations=MIGRATIONS)


STORES: dict[str, Callable[[Path], object]] = {
    "gallery": GalleryStore,
    "outbox": lambda p: Outbox(p, max_events=10, max_age_s=60),
    "audit": AuditLog,
    "cohort": lambda p: CohortStore(p, None, max_faces=10, retention_s=60),
    "replay cache": NonceCache,
}


@pytest.mark.parametrize("name", sorted(STORES))
def test_every_store_is_private_in_a_private_folder_outside_systemd(tmp_path: Path, name: str) -> None:
    """Issue #19 item 6: they were 0644 in a 0755 folder (umask 022, as in a shell)."""
    path = tmp_path / "state" / "store.sqlite"
    store = STORES[name](path)
    store.close()  # type: ignore[attr-defined]
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for file in path.parent.glob("store.sqlite*"):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
