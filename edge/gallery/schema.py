"""The gallery's SQLite schema as ordered migrations; ``PRAGMA user_version`` counts those applied.

Append a function to :data:`MIGRATIONS` to change the schema; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from edge.errors import UserError


def _v1_initial(db: sqlite3.Connection) -> None:
    _run_statements(
        db,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
        CREATE TABLE people (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created REAL NOT NULL,
            last_confirmed REAL NOT NULL
        );
        CREATE TABLE groups (id TEXT PRIMARY KEY);
        CREATE TABLE memberships (
            person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
            PRIMARY KEY (person_id, group_id)
        );
        CREATE TABLE faces (
            id INTEGER PRIMARY KEY,
            person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            embedding BLOB NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('enrolled', 'learned')),
            quality REAL,
            created REAL NOT NULL
        );
        CREATE INDEX faces_person ON faces(person_id);
        -- The person's record in each cloud: state 'synced' (remote_id known) or 'pending'.
        CREATE TABLE remote_people (
            person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            backend TEXT NOT NULL,
            remote_id TEXT,
            state TEXT NOT NULL CHECK (state IN ('synced', 'pending')),
            error TEXT,
            PRIMARY KEY (person_id, backend)
        );
        -- Photos a cloud has not received yet (deleted once it has): the cloud needs an image.
        CREATE TABLE pending_uploads (
            id INTEGER PRIMARY KEY,
            person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            backend TEXT NOT NULL,
            jpeg BLOB NOT NULL
        );
        -- Cloud deletions still owed for people already removed here.
        CREATE TABLE pending_deletes (
            backend TEXT NOT NULL,
            remote_id TEXT NOT NULL,
            PRIMARY KEY (backend, remote_id)
        );
        """
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1_initial]


def _run_statements(db: sqlite3.Connection, script: str) -> None:
    """Run a script statement by statement (``executescript`` would commit half-way)."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    for statement in "\n".join(lines).split(";"):
        if statement.strip():
            db.execute(statement)


def migrate(db: sqlite3.Connection, where: str) -> None:
    """Bring the schema to the latest version, one transaction per step (``db`` in autocommit)."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise UserError(
            f"gallery {where} has schema version {version}, newer than this software knows "
            f"({len(MIGRATIONS)}): upgrade the appliance software"
        )
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            step(db)
            db.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
