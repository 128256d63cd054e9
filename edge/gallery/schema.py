"""The gallery's SQLite schema as ordered migrations, applied by :class:`edge.storage.sqlite.Database`.

``PRAGMA user_version`` counts those applied. Append a function to :data:`MIGRATIONS` to change
the schema; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3

from edge.storage.sqlite import Migration, run_script


def _v1_initial(db: sqlite3.Connection) -> None:
    run_script(
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


MIGRATIONS: list[Migration] = [_v1_initial]
