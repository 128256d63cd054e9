"""``/person/*``, ``/group/*``, ``/faceset/*``: creating and changing what identification
and search look in, as seed 004 says: adding is all-or-nothing (one unknown id and nothing is
added), a face added to a person moves from the person that held it, removing skips the ids that
are not there and removes the others. Every change leaves the changed person, group or faceset
untrained; quotas are counted inside the change's transaction.
"""

from __future__ import annotations

import sqlite3

from edge.emulators.sensetime.params import Params, api_error, invalid
from edge.emulators.sensetime.service import Answer, SenseTimeService, ok
from edge.emulators.sensetime.store import ENTITIES, new_id
from edge.emulators.sqlite_state import LimitReached, check_limit


class Management:
    def __init__(self, service: SenseTimeService) -> None:
        self.service = service
        self.store = service.store

    # ---- persons ---------------------------------------------------------------------------

    def _claim(self, db: sqlite3.Connection, person_id: str, face_ids: list[str]) -> int:
        """Give the faces to the person (moving them from any other), inside the quota; how many
        it did not hold before. The faces must have been checked alive."""
        before = {f for (f,) in db.execute("SELECT face_id FROM faces WHERE person_id = ?", (person_id,))}
        losers = {owner for (owner,) in db.execute(
            f"SELECT DISTINCT person_id FROM faces WHERE face_id IN ({','.join('?' * len(face_ids))}) "
            "AND person_id IS NOT NULL AND person_id != ?", (*face_ids, person_id))} if face_ids else set()
        db.executemany("UPDATE faces SET person_id = ? WHERE face_id = ?", [(person_id, f) for f in face_ids])
        _within_quota(db, "SELECT COUNT(*) FROM faces WHERE person_id = ?", person_id,
                      self.service.settings.quota["faces_per_person"], "faces_per_person")
        for loser in losers:
            self.store.set_trained(db, "person", loser, False)
        return len(set(face_ids) - before)

    def person_create(self, p: Params) -> Answer:
        name = p.required("name")
        face_ids = list(dict.fromkeys(p.ids("face_id", required=False)))
        self.service.check_quota("persons", self.store.count("persons"))
        for face_id in face_ids:
            self.service.face(face_id)
        person_id = new_id()
        with self.store.transaction() as db:
            db.execute("INSERT INTO persons VALUES (?, ?, ?, 0)",
                       (person_id, name, p.text("user_data", required=False)))
            added = self._claim(db, person_id, face_ids)
        return ok(person_id=person_id, name=name, face_count=added)

    def person_delete(self, p: Params) -> Answer:
        person_id = self.service.entity("person", p.required("person_id"))["person_id"]
        with self.store.transaction() as db:
            self.store.set_trained(db, "person", person_id, False)
            db.execute("DELETE FROM group_persons WHERE person_id = ?", (person_id,))
            db.execute("UPDATE faces SET person_id = NULL WHERE person_id = ?", (person_id,))
            db.execute("DELETE FROM persons WHERE person_id = ?", (person_id,))
        return ok()

    def person_add_face(self, p: Params) -> Answer:
        person_id = self.service.entity("person", p.required("person_id"))["person_id"]
        face_ids = list(dict.fromkeys(p.ids("face_id")))
        for face_id in face_ids:
            self.service.face(face_id)
        with self.store.transaction() as db:
            added = self._claim(db, person_id, face_ids)
            self.store.set_trained(db, "person", person_id, False)
        return ok(person_id=person_id, added_count=added,
                  face_count=len(self.store.person_face_ids(person_id)))

    def person_remove_face(self, p: Params) -> Answer:
        person_id = self.service.entity("person", p.required("person_id"))["person_id"]
        face_ids = list(dict.fromkeys(p.ids("face_id")))
        with self.store.transaction() as db:
            removed = db.executemany("UPDATE faces SET person_id = NULL WHERE face_id = ? AND person_id = ?",
                                     [(f, person_id) for f in face_ids]).rowcount
            self.store.set_trained(db, "person", person_id, False)
        return ok(person_id=person_id, removed_count=removed,
                  face_count=len(self.store.person_face_ids(person_id)))

    # ---- groups ----------------------------------------------------------------------------

    def _persons(self, person_ids: list[str]) -> None:
        for person_id in person_ids:
            self.service.entity("person", person_id)

    def group_create(self, p: Params) -> Answer:
        name = p.required("name")
        person_ids = list(dict.fromkeys(p.ids("person_id", required=False)))
        self.service.check_quota("groups", self.store.count("groups"))
        self.service.check_quota("persons_per_group", 0, len(person_ids))
        self._persons(person_ids)
        group_id = new_id()
        with self.store.transaction() as db:
            db.execute("INSERT INTO groups VALUES (?, ?, ?, 0)",
                       (group_id, name, p.text("user_data", required=False)))
            db.executemany("INSERT INTO group_persons VALUES (?, ?)", [(group_id, q) for q in person_ids])
        return ok(group_id=group_id, name=name, person_count=len(person_ids))

    def group_add_person(self, p: Params) -> Answer:
        group = self.service.entity("group", p.required("group_id"))
        group_id = group["group_id"]
        person_ids = p.ids("person_id")
        self._persons(person_ids)
        members = {m["person_id"] for m in self.store.members(group_id)}
        new = [q for q in dict.fromkeys(person_ids) if q not in members]
        with self.store.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO group_persons VALUES (?, ?)", [(group_id, q) for q in new])
            _within_quota(db, "SELECT COUNT(*) FROM group_persons WHERE group_id = ?", group_id,
                          self.service.settings.quota["persons_per_group"], "persons_per_group")
            self.store.set_trained(db, "group", group_id, False)
        return ok(group_id=group_id, name=group["name"], added_count=len(new),
                  person_count=len(self.store.members(group_id)))

    def group_remove_person(self, p: Params) -> Answer:
        group = self.service.entity("group", p.required("group_id"))
        group_id = group["group_id"]
        person_ids = list(dict.fromkeys(p.ids("person_id")))
        with self.store.transaction() as db:
            removed = db.executemany("DELETE FROM group_persons WHERE group_id = ? AND person_id = ?",
                                     [(group_id, q) for q in person_ids]).rowcount
            self.store.set_trained(db, "group", group_id, False)
        return ok(group_id=group_id, name=group["name"], removed_count=removed,
                  person_count=len(self.store.members(group_id)))

    # ---- facesets --------------------------------------------------------------------------

    def faceset_create(self, p: Params) -> Answer:
        name = p.required("name")
        face_ids = list(dict.fromkeys(p.ids("face_id", required=False)))
        self.service.check_quota("facesets", self.store.count("facesets"))
        self.service.check_quota("faces_per_faceset", 0, len(face_ids))
        for face_id in face_ids:
            self.service.face(face_id)
        faceset_id = new_id()
        with self.store.transaction() as db:
            db.execute("INSERT INTO facesets VALUES (?, ?, ?, 0)",
                       (faceset_id, name, p.text("user_data", required=False)))
            db.executemany("INSERT INTO faceset_faces VALUES (?, ?)", [(faceset_id, f) for f in face_ids])
        return ok(faceset_id=faceset_id, name=name, face_count=len(face_ids))

    def faceset_add_face(self, p: Params) -> Answer:
        faceset = self.service.entity("faceset", p.required("faceset_id"))
        faceset_id = faceset["faceset_id"]
        face_ids = list(dict.fromkeys(p.ids("face_id")))
        for face_id in face_ids:
            self.service.face(face_id)
        with self.store.transaction() as db:
            added = db.executemany("INSERT OR IGNORE INTO faceset_faces VALUES (?, ?)",
                                   [(faceset_id, f) for f in face_ids]).rowcount
            _within_quota(db, "SELECT COUNT(*) FROM faceset_faces WHERE faceset_id = ?", faceset_id,
                          self.service.settings.quota["faces_per_faceset"], "faces_per_faceset")
            self.store.set_trained(db, "faceset", faceset_id, False)
        return ok(faceset_id=faceset_id, name=faceset["name"], added_count=added,
                  face_count=len(self.store.faceset_face_ids(faceset_id)))

    def faceset_remove_face(self, p: Params) -> Answer:
        faceset = self.service.entity("faceset", p.required("faceset_id"))
        faceset_id = faceset["faceset_id"]
        face_ids = list(dict.fromkeys(p.ids("face_id")))
        with self.store.transaction() as db:
            removed = db.executemany("DELETE FROM faceset_faces WHERE faceset_id = ? AND face_id = ?",
                                     [(faceset_id, f) for f in face_ids]).rowcount
            self.store.set_trained(db, "faceset", faceset_id, False)
        return ok(faceset_id=faceset_id, name=faceset["name"], removed_count=removed,
                  face_count=len(self.store.faceset_face_ids(faceset_id)))

    # ---- shared by the three kinds ---------------------------------------------------------

    def delete(self, kind: str, p: Params) -> Answer:
        """``/group/delete`` and ``/faceset/delete`` (persons also free their faces: above)."""
        table, column = ENTITIES[kind]
        entity_id = self.service.entity(kind, p.required(column))[column]
        link = {"group": "group_persons", "faceset": "faceset_faces"}[kind]
        with self.store.transaction() as db:
            db.execute(f"DELETE FROM {link} WHERE {column} = ?", (entity_id,))
            db.execute(f"DELETE FROM {table} WHERE {column} = ?", (entity_id,))
        return ok()

    def change(self, kind: str, p: Params) -> Answer:
        """``/<kind>/change``: a new name and/or user_data (at least one)."""
        table, column = ENTITIES[kind]
        entity_id = self.service.entity(kind, p.required(column))[column]
        name, user_data = p.text("name", required=False), p.text("user_data", required=False)
        if name is None and user_data is None:
            raise invalid("give name or user_data")
        with self.store.transaction() as db:
            if name is not None:
                db.execute(f"UPDATE {table} SET name = ? WHERE {column} = ?", (name, entity_id))
            if user_data is not None:
                db.execute(f"UPDATE {table} SET user_data = ? WHERE {column} = ?", (user_data, entity_id))
        return ok()


def _within_quota(db: sqlite3.Connection, count_sql: str, owner: str, limit: int, key: str) -> None:
    """Counted after the change, inside its transaction: parallel calls cannot pass the quota."""
    try:
        check_limit(db, count_sql, (owner,), limit, adding=0)
    except LimitReached:
        raise api_error("QUOTA_EXCEEDED", f"quota {key} = {limit} reached") from None
