"""The YouTu face actions with the seeds' semantics, over a :class:`Store` and a :class:`FaceEngine`.

Each action takes the request's :class:`Params` with every image already downloaded (bytes) and
returns the ``data`` object; a failure raises the documented code as a YoutuError.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from edge.emulators.sqlite_state import LimitReached
from edge.emulators.youtu.engine import FaceEngine, FoundFace
from edge.emulators.youtu.params import Params
from edge.emulators.youtu.store import Gallery, NewFace, Store
from edge.errors import BadImage
from edge.identify.youtu import models
from edge.identify.youtu.errors import YoutuError, error_for


@dataclass(frozen=True)
class Limits:
    groups_per_appid: int = 5000
    persons_per_group: int = 20000
    faces_per_person: int = 20
    max_body_bytes: int = 1_500_000  # seeds: 1.5 MB (decimal)
    id_chars: int = 128
    name_chars: int = 128
    tag_chars: int = 1024
    candidates: int = 5
    multidentify_faces: int = 5  # seed 003: the first five faces
    # -1312, seed 001: a face whose similarity to one the person holds is 99 or more, on the
    # similarity `compare` reports (scores.py: 90-100 runs from the table's last row to the same photo).
    duplicate_similarity: float = 99.0
    ismatch_far: float = 1e-4  # verify's ismatch cut, as a false-accept rate


class YoutuService:
    def __init__(self, store: Store, engine: FaceEngine, limits: Limits) -> None:
        self.store = store
        self.engine = engine
        self.limits = limits
        self.actions: dict[str, Callable[[Params], BaseModel]] = {
            "newperson": self.newperson,
            "delperson": self.delperson,
            "addface": self.addface,
            "delface": self.delface,
            "setinfo": self.setinfo,
            "getinfo": self.getinfo,
            "getgroupids": self.getgroupids,
            "getpersonids": self.getpersonids,
            "getfaceids": self.getfaceids,
            "getfaceinfo": self.getfaceinfo,
            "addgroupids": self.addgroupids,
            "delgroupids": self.delgroupids,
            "verify": self.verify,
            "identify": self.identify,
            "multidentify": self.multidentify,
            "compare": self.compare,
        }

    # -- helpers ---------------------------------------------------------------------------------

    def _person_id(self, params: Params) -> str:
        return params.identifier("person_id", self.limits.id_chars)

    def _existing_person(self, params: Params) -> str:
        person_id = self._person_id(params)
        if self.store.person(person_id) is None:
            raise error_for(-1303, f"person {person_id!r} does not exist")
        return person_id

    def _faces(self, image: object) -> list[FoundFace]:
        if not isinstance(image, bytes) or not image:
            raise error_for(-1300, "the image is empty")
        if image[:4] == b"GIF8":
            raise error_for(-1400, "GIF images are not supported")
        try:
            faces = self.engine.find(image)
        except BadImage as exc:
            raise error_for(-1102, f"cannot decode the image: {exc}") from None
        if not faces:
            raise error_for(-1101, "no face in the image")
        return faces

    def _largest_face(self, image: object) -> FoundFace:
        return self._faces(image)[0]

    def _new_face(self, face: FoundFace, tag: str) -> NewFace:
        box = face.box
        return NewFace(face.embedding, (box.x, box.y, box.w, box.h), face.roll, face.yaw, face.pitch, tag)

    def _check_room(self, person_id: str | None, group_ids: list[str]) -> None:
        """-1311 if new groups would pass the appid's limit, -1310 if a group is full."""
        known = set(self.store.group_ids())
        new_groups = [g for g in group_ids if g not in known]
        if self.store.group_count() + len(new_groups) > self.limits.groups_per_appid:
            raise error_for(-1311, f"at most {self.limits.groups_per_appid} groups per appid")
        current = set(self.store.groups_of(person_id)) if person_id else set()
        for group in group_ids:
            if group not in current and self.store.persons_in(group) >= self.limits.persons_per_group:
                raise error_for(-1310, f"group {group!r} holds {self.limits.persons_per_group} persons")

    def _best_cosine(self, person_id: str, face: FoundFace) -> float:
        stored = self.store.embeddings_of(person_id)
        return max((float(np.dot(embedding, face.embedding)) for _, embedding in stored), default=-1.0)

    def _searched(self, params: Params) -> Gallery:
        group_ids = params.groups(self.limits.id_chars)
        known = set(self.store.group_ids())
        existing = [g for g in group_ids if g in known]
        if not existing:
            raise error_for(-1306 if len(group_ids) == 1 else -1307, "none of the groups exists")
        return self.store.gallery(existing)

    def _candidates(self, gallery: Gallery, face: FoundFace) -> list[models.Candidate]:
        """Top persons by their best face's score, unfiltered, best first."""
        if not gallery.face_ids:
            return []
        cosines = gallery.embeddings @ face.embedding
        best: dict[str, int] = {}
        for row in np.argsort(-cosines):
            best.setdefault(gallery.person_ids[row], int(row))
            if len(best) == self.limits.candidates:
                break
        return [
            models.Candidate(
                person_id=person_id,
                face_id=gallery.face_ids[row],
                confidence=self.engine.score(float(cosines[row])),
                tag=gallery.tags[row],
            )
            for person_id, row in best.items()
        ]

    @staticmethod
    def _session(params: Params) -> str:
        """A new session id (the app answers the caller's own when one was sent)."""
        return secrets.token_hex(8)

    # -- management ------------------------------------------------------------------------------

    def newperson(self, params: Params) -> models.NewPerson:
        person_id = self._person_id(params)
        group_ids = params.identifiers("group_ids", self.limits.id_chars)
        name = params.optional_text("person_name", self.limits.name_chars) or ""
        tag = params.optional_text("tag", self.limits.tag_chars) or ""
        if self.store.person(person_id) is not None:
            raise error_for(-1302, f"person {person_id!r} already exists")
        self._check_room(None, group_ids)
        face = self._largest_face(params.image("image", "url"))
        try:
            face_id = self.store.create_person(person_id, name, tag, group_ids, self._new_face(face, ""))
        except sqlite3.IntegrityError:  # created by a concurrent request since the check above
            raise error_for(-1302, f"person {person_id!r} already exists") from None
        return models.NewPerson(
            person_id=person_id, face_id=face_id, suc_group=len(group_ids), suc_face=1, group_ids=group_ids
        )

    def delperson(self, params: Params) -> models.DeletedPerson:
        person_id = self._existing_person(params)
        self.store.delete_person(person_id)
        return models.DeletedPerson(person_id=person_id, deleted=1)

    def addface(self, params: Params) -> models.AddedFaces:
        person_id = self._existing_person(params)
        tag = params.optional_text("tag", self.limits.tag_chars) or ""
        face_ids: list[str] = []
        codes: list[int] = []
        for image in params.images():
            try:
                face_ids.append(self._add_one_face(person_id, image, tag))
                codes.append(0)
            except YoutuError as exc:
                face_ids.append("")
                codes.append(int(exc.code))
        added = codes.count(0)
        if added == 0:
            raise error_for(codes[0], "no face was added")
        return models.AddedFaces(added=added, face_ids=face_ids, ret_codes=codes)

    def _add_one_face(self, person_id: str, image: object, tag: str) -> str:
        full = error_for(-1309, f"a person holds at most {self.limits.faces_per_person} faces")
        if len(self.store.face_ids(person_id)) >= self.limits.faces_per_person:
            raise full  # before the costly detection; checked again where the face is added
        face = self._largest_face(image)
        if self.engine.score(self._best_cosine(person_id, face)) >= self.limits.duplicate_similarity:
            raise error_for(-1312)
        try:
            return self.store.add_face(person_id, self._new_face(face, tag), self.limits.faces_per_person)
        except LimitReached:
            raise full from None

    def delface(self, params: Params) -> models.DeletedFaces:
        person_id = self._existing_person(params)
        face_ids = params.identifiers("face_ids", self.limits.id_chars)
        deleted = self.store.delete_faces(person_id, face_ids)
        if not deleted:
            raise error_for(-1305, "none of the faces belongs to the person")
        return models.DeletedFaces(deleted=len(deleted), face_ids=deleted)

    def setinfo(self, params: Params) -> models.PersonRef:
        person_id = self._existing_person(params)
        name = params.optional_text("person_name", self.limits.name_chars)
        tag = params.optional_text("tag", self.limits.tag_chars)
        self.store.set_info(person_id, name, tag)
        return models.PersonRef(person_id=person_id)

    def getinfo(self, params: Params) -> models.PersonInfo:
        person = self.store.person(self._existing_person(params))
        assert person is not None
        return models.PersonInfo(
            person_id=person.person_id,
            person_name=person.person_name,
            tag=person.tag,
            face_ids=person.face_ids,
            group_ids=person.group_ids,
        )

    def getgroupids(self, params: Params) -> models.GroupIds:
        return models.GroupIds(group_ids=self.store.group_ids())

    def getpersonids(self, params: Params) -> models.PersonIds:
        group_id = params.identifier("group_id", self.limits.id_chars)
        person_ids = self.store.person_ids(group_id)
        if not person_ids:
            raise error_for(-1306, f"group {group_id!r} does not exist")
        return models.PersonIds(person_ids=person_ids)

    def getfaceids(self, params: Params) -> models.FaceIds:
        return models.FaceIds(face_ids=self.store.face_ids(self._existing_person(params)))

    def getfaceinfo(self, params: Params) -> models.FaceInfoData:
        face = self.store.face(params.identifier("face_id", self.limits.id_chars))
        if face is None:
            raise error_for(-1305, "no such face")
        return models.FaceInfoData(face_info=models.FaceInfo.model_validate(face))

    def addgroupids(self, params: Params) -> models.GroupChange:
        person_id = self._existing_person(params)
        group_ids = params.identifiers("group_ids", self.limits.id_chars)
        self._check_room(person_id, group_ids)
        current = set(self.store.groups_of(person_id))
        self.store.add_groups(person_id, group_ids)
        return models.GroupChange(
            person_id=person_id,
            group_ids=[g for g in group_ids if g not in current],
            added=sum(g not in current for g in group_ids),
            ret_codes=[0] * len(group_ids),
        )

    def delgroupids(self, params: Params) -> models.GroupChange:
        person_id = self._existing_person(params)
        group_ids = params.identifiers("group_ids", self.limits.id_chars)
        current = set(self.store.groups_of(person_id))
        codes = [0 if g in current else -1306 for g in group_ids]
        deleted = [g for g in group_ids if g in current]
        self.store.remove_groups(person_id, deleted)
        return models.GroupChange(person_id=person_id, group_ids=deleted, deleted=len(deleted),
                                  ret_codes=codes)

    # -- recognition -----------------------------------------------------------------------------

    def verify(self, params: Params) -> models.Verification:
        person_id = self._existing_person(params)
        face = self._largest_face(params.image("image", "url"))
        confidence = self.engine.score(self._best_cosine(person_id, face))
        return models.Verification(
            confidence=confidence,
            ismatch=confidence >= self.engine.score_for_far(self.limits.ismatch_far),
            session_id=self._session(params),
        )

    def identify(self, params: Params) -> models.Identified:
        started = time.monotonic()
        gallery = self._searched(params)
        face = self._largest_face(params.image("image", "url"))
        return models.Identified(
            session_id=self._session(params),
            candidates=self._candidates(gallery, face),
            group_size=gallery.group_size,
            time_ms=round((time.monotonic() - started) * 1000),
        )

    def multidentify(self, params: Params) -> models.MultiIdentified:
        started = time.monotonic()
        gallery = self._searched(params)
        results = [
            models.FaceResult(
                face_rect=models.FaceRect(x=round(face.box.x), y=round(face.box.y),
                                          width=round(face.box.w), height=round(face.box.h)),
                candidates=self._candidates(gallery, face),
            )
            for face in self._faces(params.image("image", "url"))[: self.limits.multidentify_faces]
        ]
        return models.MultiIdentified(
            session_id=self._session(params),
            results=results,
            group_size=gallery.group_size,
            time_ms=round((time.monotonic() - started) * 1000),
        )

    def compare(self, params: Params) -> models.Comparison:
        """``fail_flag`` names the image that failed (1 A, 2 B), also in an error's data."""
        faces = []
        for flag, (upload, url) in enumerate((("imageA", "urlA"), ("imageB", "urlB")), start=1):
            try:
                faces.append(self._largest_face(params.image(upload, url)))
            except YoutuError as exc:
                exc.data = {"fail_flag": flag}
                raise
        similarity = self.engine.score(float(np.dot(faces[0].embedding, faces[1].embedding)))
        return models.Comparison(similarity=similarity, session_id=self._session(params), fail_flag=0)
