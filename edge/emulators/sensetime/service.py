"""The document's behaviour, endpoint by endpoint, apart from HTTP (see :mod:`.app`).

Every method takes the request's :class:`Params` and answers ``(http_status, body)``; errors are
raised as the documented :class:`SenseTimeError` statuses.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import numpy as np

from edge.emulators.images import decode_within, exif_orientation, header_size
from edge.emulators.sensetime.engine import FaceEngine
from edge.emulators.sensetime.params import Params, api_error, invalid
from edge.emulators.sensetime.settings import EmulatorSettings
from edge.emulators.sensetime.store import ENTITIES, Store, StoredFace
from edge.errors import BadImage
from edge.identify.sensetime.errors import SenseTimeError

Answer = tuple[int, dict[str, Any]]
SAME_PERSON = 0.6  # same_person is true above this; identification returns only candidates above it
MIN_SIDE, MAX_SIDE = 8, 4000  # image width and height: more than 8 px, at most 4000 px


def ok(**fields: Any) -> Answer:
    return 200, {"status": "OK", **fields}


def face_body(face_id: str, rect: dict[str, int], eye_dist: float, landmarks21: list[list[float]] | None,
              *, info: bool = False) -> dict[str, Any]:
    """A face as detection shows it; ``/info/*`` gives rect values and landmark coordinates as
    strings (a quirk kept). ``eye_dist`` is whole pixels (an integer in the SDKs' face model,
    ``STFaces.eye_dist``); ``landmarks21`` are ``[[x, y], ...]`` (``STFaces.landmarks21``,
    ``List<List<Double>>``), absent when the face mesh did not confirm the face."""
    shown_rect = {k: str(v) for k, v in rect.items()} if info else rect
    body: dict[str, Any] = {"face_id": face_id, "rect": shown_rect, "eye_dist": round(eye_dist)}
    if landmarks21 is not None:
        body["landmarks21"] = [[str(v) for v in xy] for xy in landmarks21] if info else landmarks21
    return body


def face_json(face: StoredFace, *, info: bool = False) -> dict[str, Any]:
    return face_body(face.face_id, dict(face.rect), face.eye_dist, face.landmarks21, info=info)


class SenseTimeService:
    def __init__(self, store: Store, engine: FaceEngine, settings: EmulatorSettings,
                 clock: Callable[[], float]) -> None:
        self.store = store
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self._deferred: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "identification": self._identify,
            "verification": self._verify_person,
            "search": self._search_faceset,
        }

    # ---- lookups ---------------------------------------------------------------------------

    def face(self, face_id: str, status: str = "INVALID_FACE") -> StoredFace:
        """The face, usable as a probe or to add; ``status`` (``INVALID_FACE2`` for a
        verification's second face) if it is unknown or was detected over 5 days ago.

        Seed 004: a face id is valid 5 days, then it can only be removed. A person or faceset
        that holds it keeps it (its descriptor still counts for them, protocols.md section 2) until
        it is removed; a face held by nobody is forgotten."""
        face = self.store.face(face_id)
        if face is None:
            raise api_error(status, f"face_id not found: {face_id}")
        if not self._alive(face):
            if not self.store.attached(face_id):
                self.store.forget_face(face_id)
            raise api_error(status, f"face_id expired (5 days; it can only be removed): {face_id}")
        return face

    def entity(self, kind: str, entity_id: str) -> sqlite3.Row:
        row = self.store.entity(kind, entity_id)
        if row is None:
            raise api_error(f"INVALID_{kind.upper()}", f"{kind}_id not found: {entity_id}")
        return row

    def _similarity(self, a: StoredFace, b: StoredFace) -> float:
        return self.engine.confidence(float(np.dot(a.embedding, b.embedding)))

    def check_quota(self, key: str, used: int, adding: int = 1) -> None:
        if used + adding > self.settings.quota[key]:
            raise api_error("QUOTA_EXCEEDED", f"quota {key} = {self.settings.quota[key]} reached")

    def count_call(self) -> None:
        self.check_quota("calls", self.store.count_call() - 1)

    # ---- /info -----------------------------------------------------------------------------

    def info_api(self, p: Params) -> Answer:
        usage = {"calls": self.store.calls(), **{t: self.store.count(t) for t in ("persons", "groups",
                                                                                 "facesets")}}
        return ok(api_id=self.settings.api_id, rate_limit=str(self.settings.rate_limit),
                  quota=self.settings.quota, usage=usage)

    def info_task(self, p: Params) -> Answer:
        task_id = p.required("task_id")
        task = self.store.task(task_id)
        now = self.clock()
        if task is None or now > task.created + self.settings.task_ttl_s:
            raise api_error("INVALID_TASK", f"task_id not found or expired: {task_id}")
        status, result = task.status, task.result
        if status == "pending":
            target = self.store.entity(task.target_kind, task.target_id)
            if target is not None and not target["trained"] and now < task.ready_at:
                halfway = (task.created + task.ready_at) / 2
                return ok(task_id=task_id, task_status="processing" if now >= halfway else "pending")
            status, result = self._run_task(task.kind, task.params, task.target_kind, task.target_id)
            self.store.finish_task(task_id, status, result)
        return ok(task_id=task_id, task_status=status, **({"result": result} if result else {}))

    def _run_task(self, kind: str, params: dict[str, Any], target_kind: str, target_id: str
                  ) -> tuple[str, dict[str, Any]]:
        """Train the task's target (the background training a 202 stands for), then answer."""
        try:
            self.entity(target_kind, target_id)
            self._train({target_kind: [target_id]})
            return "done", self._deferred[kind](params)
        except SenseTimeError as exc:
            return "failed", {"status": exc.status, "reason": exc.reason}

    def info_image(self, p: Params) -> Answer:
        image_id = p.required("image_id")
        image = self.store.image(image_id)
        if image is None:
            raise api_error("INVALID_IMAGE", f"image_id not found: {image_id}")
        if self.clock() > image["created"] + self.settings.face_ttl_s:
            raise api_error("INVALID_IMAGE", f"image_id expired (5 days): {image_id}")
        body: dict[str, Any] = {"image_id": image_id, "width": image["width"], "height": image["height"]}
        if image["user_data"] is not None:
            body["user_data"] = image["user_data"]
        if p.flag("with_faces"):
            faces = self.store.faces_where("image_id = ?", (image_id,))
            live = [f for f in faces if self._alive(f)]
            body["faces"] = [face_json(f, info=True) for f in live]
        return ok(**body)

    def _alive(self, face: StoredFace) -> bool:
        return self.clock() <= face.created + self.settings.face_ttl_s

    def info_face(self, p: Params) -> Answer:
        face = self.face(p.required("face_id"))
        body = {**face_json(face, info=True), "image_id": face.image_id}
        if face.person_id:
            body["person_id"] = face.person_id
        if p.flag("with_image"):
            image = self.store.image(face.image_id)
            if image is not None:
                body["image"] = {"image_id": face.image_id, "width": image["width"],
                                 "height": image["height"]}
        return ok(**body)

    def list_persons(self, p: Params) -> Answer:
        return ok(persons=[
            {**self._summary("person", row), "face_count": len(self.store.person_face_ids(row["person_id"]))}
            for row in self.store.entities("person")])

    def list_groups(self, p: Params) -> Answer:
        return ok(groups=[
            {**self._summary("group", row), "person_count": len(self.store.members(row["group_id"]))}
            for row in self.store.entities("group")])

    def list_facesets(self, p: Params) -> Answer:
        return ok(facesets=[
            {**self._summary("faceset", row),
             "face_count": len(self.store.faceset_face_ids(row["faceset_id"]))}
            for row in self.store.entities("faceset")])

    @staticmethod
    def _summary(kind: str, row: sqlite3.Row) -> dict[str, Any]:
        column = ENTITIES[kind][1]
        return {column: row[column], "name": row["name"], "user_data": row["user_data"]}

    def info_person(self, p: Params) -> Answer:
        row = self.entity("person", p.required("person_id"))
        return ok(**self._summary("person", row), face_ids=self.store.person_face_ids(row["person_id"]))

    def info_group(self, p: Params) -> Answer:
        row = self.entity("group", p.required("group_id"))
        persons = [{"person_id": m["person_id"], "name": m["name"]}
                   for m in self.store.members(row["group_id"])]
        return ok(**self._summary("group", row), persons=persons)

    def info_faceset(self, p: Params) -> Answer:
        row = self.entity("faceset", p.required("faceset_id"))
        return ok(**self._summary("faceset", row), face_ids=self.store.faceset_face_ids(row["faceset_id"]))

    # ---- /face -----------------------------------------------------------------------------

    def detection(self, p: Params, data: bytes) -> Answer:
        if len(data) > self.settings.max_file_bytes:
            raise api_error("IMAGE_FILE_SIZE_TOO_BIG", f"image over {self.settings.max_file_bytes} bytes")
        try:
            width, height = header_size(data)  # refuse absurd sizes before decoding
            if not (MIN_SIDE < width <= MAX_SIDE and MIN_SIDE < height <= MAX_SIDE):
                raise api_error("INVALID_IMAGE_FORMAT_OR_SIZE", f"{width}x{height}: width and height "
                                f"must be over {MIN_SIDE} px and at most {MAX_SIDE} px")
            image = decode_within(data, MAX_SIDE * MAX_SIDE)
        except BadImage as exc:
            raise api_error("CORRUPT_IMAGE", str(exc)) from None
        now = self.clock()
        user_data = p.text("user_data", required=False)
        image_id = self.store.add_image(width, height, now, user_data)
        faces = []
        for seen in self.engine.faces(image):
            box = seen.box
            rect = {"left": round(box.x), "top": round(box.y), "right": round(box.x + box.w),
                    "bottom": round(box.y + box.h)}
            face_id = self.store.add_face(image_id, rect, seen.eye_dist, seen.keypoints, seen.embedding, now,
                                          seen.landmarks21)
            faces.append(face_body(face_id, rect, seen.eye_dist, seen.landmarks21))
        body: dict[str, Any] = {"image_id": image_id, "width": width, "height": height, "faces": faces}
        if user_data is not None:
            body["user_data"] = user_data
        if p.flag("exif_orientation"):
            body["exif_orientation"] = exif_orientation(data)
        return ok(**body)

    def verification(self, p: Params) -> Answer:
        face = self.face(p.required("face_id"))
        face2_id, person_id = p.text("face2_id", required=False), p.text("person_id", required=False)
        if (face2_id is None) == (person_id is None):
            raise invalid("give exactly one of face2_id and person_id")
        if face2_id is not None:
            verdict = _verdict(self._similarity(face, self.face(face2_id, "INVALID_FACE2")))
            return ok(face_id=face.face_id, face2_id=face2_id, **verdict)
        assert person_id is not None
        person = self.entity("person", person_id)
        params = {"face_id": face.face_id, "person_id": person_id}
        self._person_faces(person_id)  # EMPTY_PERSON now rather than in the task
        if not person["trained"]:
            return self._defer("verification", params, "person", person_id)
        return ok(**self._verify_person(params))

    def _person_faces(self, person_id: str) -> list[StoredFace]:
        faces = self.store.faces_where("person_id = ?", (person_id,))
        if not faces:
            raise api_error("EMPTY_PERSON", f"person {person_id} holds no face")
        return faces

    def _verify_person(self, params: dict[str, Any]) -> dict[str, Any]:
        face = self.face(params["face_id"])
        best = max(self._similarity(face, other) for other in self._person_faces(params["person_id"]))
        return {"status": "OK", **params, **_verdict(best)}

    def search(self, p: Params) -> Answer:
        """Among ``face_ids`` or in ``faceset_id``; given both, the faceset wins (seed 004)."""
        face = self.face(p.required("face_id"))
        top = p.integer("top", 1, 10, 3)
        faceset_id = p.text("faceset_id", required=False)
        if faceset_id is None:
            among = [self.face(f) for f in p.ids("face_ids")]
            return ok(face_id=face.face_id, candidates=self._rank(face, among, top))
        faceset = self.entity("faceset", faceset_id)
        params = {"face_id": face.face_id, "faceset_id": faceset_id, "top": top}
        self._faceset_faces(faceset_id)
        if not faceset["trained"]:
            return self._defer("search", params, "faceset", faceset_id)
        return ok(**self._search_faceset(params))

    def _faceset_faces(self, faceset_id: str) -> list[StoredFace]:
        face_ids = self.store.faceset_face_ids(faceset_id)
        faces = [face for face in map(self.store.face, face_ids) if face is not None]
        if not faces:
            raise api_error("EMPTY_FACESET", f"faceset {faceset_id} holds no face")
        return faces

    def _search_faceset(self, params: dict[str, Any]) -> dict[str, Any]:
        face = self.face(params["face_id"])
        members = self._faceset_faces(params["faceset_id"])
        return {"status": "OK", "face_id": face.face_id, "faceset_id": params["faceset_id"],
                "candidates": self._rank(face, members, params["top"])}

    def _rank(self, face: StoredFace, others: list[StoredFace], top: int) -> list[dict[str, Any]]:
        scored = sorted(((self._similarity(face, o), o.face_id) for o in others), reverse=True)
        return [{"face_id": face_id, "confidence": score} for score, face_id in scored[:top]]

    def identification(self, p: Params) -> Answer:
        face = self.face(p.required("face_id"))
        group_id = p.required("group_id")
        group = self.entity("group", group_id)
        params = {"face_id": face.face_id, "group_id": group_id, "top": p.integer("top", 1, 5, 2)}
        self._group_faces(group_id)
        if not group["trained"]:
            return self._defer("identification", params, "group", group_id)
        return ok(**self._identify(params))

    def _group_faces(self, group_id: str) -> dict[str, tuple[str, list[StoredFace]]]:
        """person_id -> (name, faces) of the group's persons that hold faces; EMPTY_GROUP if none."""
        held = {}
        for person in self.store.members(group_id):
            faces = self.store.faces_where("person_id = ?", (person["person_id"],))
            if faces:
                held[person["person_id"]] = (person["name"], faces)
        if not held:
            raise api_error("EMPTY_GROUP", f"group {group_id} holds no person with a face")
        return held

    def _identify(self, params: dict[str, Any]) -> dict[str, Any]:
        face = self.face(params["face_id"])
        scored = []
        for person_id, (name, faces) in self._group_faces(params["group_id"]).items():
            best = max(self._similarity(face, other) for other in faces)
            if best > SAME_PERSON:
                scored.append((best, person_id, name))
        candidates = [{"person_id": person_id, "name": name, "confidence": best}
                      for best, person_id, name in sorted(scored, reverse=True)]
        return {"status": "OK", "face_id": face.face_id, "group_id": params["group_id"],
                "candidates": candidates[: params["top"]]}

    def _defer(self, kind: str, params: dict[str, Any], target_kind: str, target_id: str) -> Answer:
        now = self.clock()
        task_id = self.store.add_task(kind, params, target_kind, target_id, now,
                                      now + self.settings.train_delay_s)
        return 202, {"status": "OK", "task_id": task_id, "task_status": "pending"}

    def training(self, p: Params) -> Answer:
        targets = {kind: p.ids(f"{kind}_id", required=False) for kind in ("face", *ENTITIES)}
        if not any(targets.values()):
            raise invalid("give at least one of face_id, person_id, faceset_id, group_id")
        for face_id in targets["face"]:
            self.face(face_id)
        for kind in ENTITIES:
            for entity_id in targets[kind]:
                self.entity(kind, entity_id)
        self._train(targets)
        return 200, {"status": "ok"}  # the document's training answer is lower-case

    def _train(self, targets: dict[str, list[str]]) -> None:
        with self.store.transaction() as db:
            for group_id in targets.get("group", []):
                for member in self.store.members(group_id):
                    self.store.set_trained(db, "person", member["person_id"], True)
            for kind in ENTITIES:
                for entity_id in targets.get(kind, []):
                    self.store.set_trained(db, kind, entity_id, True)


def _verdict(confidence: float) -> dict[str, Any]:
    return {"confidence": confidence, "same_person": confidence > SAME_PERSON}
