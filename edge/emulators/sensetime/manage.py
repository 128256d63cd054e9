"""``/person/*``, ``/group/*``, ``/faceset/*``: creating and changing what identification
and search look in. Each change is all-or-nothing (one invalid id and nothing is added) and
leaves the changed person, group or faceset untrained.
"""

from __future__ import annotations

from edge.emulators.sensetime.params import Params, api_error, invalid
from edge.emulators.sensetime.service import Answer, SenseTimeService, ok
from edge.emulators.sensetime.store import ENTITIES, new_id
from edge.emulators.sqlite_state import LimitReached, check_limit


class Management:
    def __init__(self, service: SenseTimeService) -> None:
        self.service = service
        self.store = service.store

    # ---- persons ---------------------------------------------------------------------------

    def _claimable(self, person_id: str | None, face_ids: list[str]) -> None:
        """Faces exist, are alive and belong to no other person (a face has one person)."""
        for face_id in face_ids:
            face = self.service.face(face_id)
            if face.person_id is not None and face.person_id != person_id:
                raise api_error("INVALID_FACE_ID", f"face_id already belongs to a person: {face_id}")
        held = len(self.store.person_face_ids(person_id)) if person_id else 0
        self.service.check_quota("faces_per_person", held, len(set(face_ids)))

    def person_create(self, p: Params) -> Answer:
        name = p.required("name")
        face_ids = p.ids("face_id", required=False)
        self.service.check_quota("persons", self.store.count("persons"))
        self._claimable(None, face_ids)
        person_id = new_id()
        with self.store.transaction() as db:
            db.execute("INSERT INTO persons VALUES (?, ?, ?, 0)",
                       (person_id, name, p.text("user_data", required=False)))
            db.executemany("UPDATE faces SET person_id = ? WHERE face_id = ?",
                           [(person_id, f) for f in face_ids])
        return ok(person_id=person_id, name=name, face_count=len(set(face_ids)))

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
        face_ids = p.ids("face_id")
        self._claimable(person_id, face_ids)
        try:
            with self.store.transaction() as db:
                db.executemany("UPDATE faces SET person_id = ? WHERE face_id = ?",
                               [(person_id, f) for f in face_ids])
                # counted again after the change, inside it: parallel calls cannot pass the quota
                check_limit(db, "SELECT COUNT(*) FROM faces WHERE person_id = ?", (person_id,),
                            self.service.settings.quota["faces_per_person"], adding=0)
                self.store.set_trained(db, "person", person_id, False)
        except LimitReached as exc:
            raise api_error("QUOTA_EXCEEDED", f"quota faces_per_person = {exc.limit} reached") from None
        return ok(person_id=person_id, face_count=len(self.store.person_face_ids(person_id)))

    def person_remove_face(self, p: Params) -> Answer:
        person_id = self.service.entity("person", p.required("person_id"))["person_id"]
        face_ids = p.ids("face_id")
        held = set(self.store.person_face_ids(person_id))
        for face_id in face_ids:
            if face_id not in held:
                raise api_error("INVALID_FACE_ID", f"face_id does not belong to the person: {face_id}")
        with self.store.transaction() as db:
            db.executemany("UPDATE faces SET person_id = NULL WHERE face_id = ?", [(f,) for f in face_ids])
            self.store.set_trained(db, "person", person_id, False)
        return ok(person_id=person_id, face_count=len(self.store.person_face_ids(person_id)))

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
        group_id = self.service.entity("group", p.required("group_id"))["group_id"]
        person_ids = p.ids("person_id")
        self._persons(person_ids)
        members = {m["person_id"] for m in self.store.members(group_id)}
        new = [q for q in dict.fromkeys(person_ids) if q not in members]
        self.service.check_quota("persons_per_group", len(members), len(new))
        with self.store.transaction() as db:
            db.executemany("INSERT INTO group_persons VALUES (?, ?)", [(group_id, q) for q in new])
            self.store.set_trained(db, "group", group_id, False)
        return ok(group_id=group_id, person_count=len(members) + len(new))

    def group_remove_person(self, p: Params) -> Answer:
        group_id = self.service.entity("group", p.required("group_id"))["group_id"]
        person_ids = p.ids("person_id")
        members = {m["person_id"] for m in self.store.members(group_id)}
        for person_id in person_ids:
            if person_id not in members:
                raise api_error("INVALID_PERSON_ID", f"person_id is not in the group: {person_id}")
        with self.store.transaction() as db:
            db.executemany("DELETE FROM group_persons WHERE group_id = ? AND person_id = ?",
                           [(group_id, q) for q in person_ids])
            self.store.set_trained(db, "group", group_id, False)
        return ok(group_id=group_id, person_count=len(members - set(person_ids)))

    # ---- facesets --------------------------------------------------------------------------

    def faceset_create(self, p: Params) -> Answer:
        name = p.required("name")
        face_ids = list(dict.fromkeys(p.ids("face_id", required=False)))
        self.service.check_quota("facesets", self.store.count("facesets"))
        for face_id in face_ids:
            self.service.face(face_id)
        faceset_id = new_id()
        with self.store.transaction() as db:
            db.execute("INSERT INTO facesets VALUES (?, ?, ?, 0)",
                       (faceset_id, name, p.text("user_data", required=False)))
            db.executemany("INSERT INTO faceset_faces VALUES (?, ?)", [(faceset_id, f) for f in face_ids])
        return ok(faceset_id=faceset_id, name=name, face_count=len(face_ids))

    def faceset_add_face(self, p: Params) -> Answer:
        faceset_id = self.service.entity("faceset", p.required("faceset_id"))["faceset_id"]
        face_ids = p.ids("face_id")
        for face_id in face_ids:
            self.service.face(face_id)
        with self.store.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO faceset_faces VALUES (?, ?)",
                           [(faceset_id, f) for f in face_ids])
            self.store.set_trained(db, "faceset", faceset_id, False)
        return ok(faceset_id=faceset_id, face_count=len(self.store.faceset_face_ids(faceset_id)))

    def faceset_remove_face(self, p: Params) -> Answer:
        faceset_id = self.service.entity("faceset", p.required("faceset_id"))["faceset_id"]
        face_ids = p.ids("face_id")
        held = set(self.store.faceset_face_ids(faceset_id))
        for face_id in face_ids:
            if face_id not in held:
                raise api_error("INVALID_FACE_ID", f"face_id is not in the faceset: {face_id}")
        with self.store.transaction() as db:
            db.executemany("DELETE FROM faceset_faces WHERE faceset_id = ? AND face_id = ?",
                           [(faceset_id, f) for f in face_ids])
            self.store.set_trained(db, "faceset", faceset_id, False)
        return ok(faceset_id=faceset_id, face_count=len(self.store.faceset_face_ids(faceset_id)))

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
