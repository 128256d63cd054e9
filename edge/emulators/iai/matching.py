"""Actions that compare faces: the four searches, VerifyFace/VerifyPerson, CompareFace,
CompareMaskFace, DetectFaceSimilarity, DetectFace."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from edge.emulators.iai import params as p
from edge.emulators.iai.api_error import ApiError
from edge.emulators.iai.service import QUALITY_FAILED, Service, existing_group, rect, unit
from edge.identify.iai.tables import IS_MATCH_SCORE
from edge.vision.types import LEFT_EYE, RIGHT_EYE, Face

MAX_GROUPS = 100
MAX_GROUPS_BY_GROUP = 60  # the ReturnsByGroup searches: at most 60 groups (documented)
Params = dict[str, Any]


@dataclass(frozen=True)
class _Entry:
    """One searchable item: a face (SearchFaces) or a person's fused descriptor (SearchPersons)."""

    person_id: str
    face_id: str | None
    embedding: np.ndarray


def _entries(svc: Service, group_ids: list[str], by_person: bool) -> list[_Entry]:
    faces = svc.store.faces(group_ids=group_ids)
    if not by_person:
        return [_Entry(f.person_id, f.face_id, f.embedding) for f in faces]
    per_person: dict[str, list[np.ndarray]] = {}
    for face in faces:
        per_person.setdefault(face.person_id, []).append(face.embedding)
    return [_Entry(pid, None, unit(vectors)) for pid, vectors in per_person.items()]


@dataclass(frozen=True)
class _Search:
    group_ids: list[str]
    version: str
    faces: list[Face]
    top: int
    min_score: float
    quality: int
    person_info: bool


def _read_search(svc: Service, params: Params, top_key: str, top_max: int, max_groups: int,
                 by_person: bool) -> _Search:
    group_ids = p.text_list(params, "GroupIds", max_groups, "InvalidParameterValue.GroupIdsExceed")
    versions = {existing_group(svc, g).version for g in group_ids}
    if len(versions) > 1:
        raise ApiError("FailedOperation.AcrossVersionsError", "Groups of different model versions.")
    version = versions.pop()
    if by_person:
        p.require_v3(version, "Person features")
    max_faces = p.integer(params, "MaxFaceNum", 1, 1, 10)
    min_size = p.integer(params, "MinFaceSize", 34, 34, 4000)
    top = p.integer(params, top_key, 5, 1, top_max, "InvalidParameterValue.SearchPersonsExceed")
    min_score = p.number(
        params, "FaceMatchThreshold", 0.0, 0, 100, "InvalidParameterValue.FaceMatchThresholdIllegal"
    )
    quality = p.quality_control(params)
    person_info = p.integer(params, "NeedPersonInfo", 0, 0, 1) == 1
    if not svc.store.faces(group_ids=group_ids):
        raise ApiError("InvalidParameterValue.NoFaceInGroups", "The groups hold no face.")
    faces = svc.faces(svc.image(params), max_faces=max_faces, min_size=min_size)
    return _Search(group_ids, version, faces, top, min_score, quality, person_info)


def _candidates(
    svc: Service, search: _Search, face: Face, entries: list[_Entry], gallery_size: int
) -> list[Params]:
    """The best ``top`` entries for the face, scored as hits of a search among ``gallery_size``."""
    assert face.embedding is not None
    cosines = [float(np.dot(face.embedding, e.embedding)) for e in entries]
    scored = sorted(
        ((svc.scorer.search_score(c, search.version, gallery_size), e) for c, e in zip(cosines, entries)),
        key=lambda pair: pair[0],
        reverse=True,
    )
    out = []
    for score, entry in scored[: search.top]:
        if score < search.min_score:
            break
        candidate: Params = {"PersonId": entry.person_id, "FaceId": entry.face_id, "Score": score}
        if search.person_info:
            candidate.update(svc.person_info(svc.person(entry.person_id)))
        out.append(candidate)
    return out


def _passes(search: _Search, face: Face) -> bool:
    return not search.quality or face.quality.ok


def _search(by_person: bool) -> Callable[[Service, Params], Params]:
    def action(svc: Service, params: Params) -> Params:
        search = _read_search(svc, params, "MaxPersonNum", 100, MAX_GROUPS, by_person)
        entries = _entries(svc, search.group_ids, by_person)
        results = [
            {
                "Candidates": _candidates(svc, search, face, entries, len(entries))
                if _passes(search, face)
                else [],
                "FaceRect": rect(face.detection.box),
                "RetCode": 0 if _passes(search, face) else QUALITY_FAILED,
            }
            for face in search.faces
        ]
        count_key = "PersonNum" if by_person else "FaceNum"
        return {"Results": results, count_key: len(entries), "FaceModelVersion": search.version}

    return action


def _search_by_group(by_person: bool) -> Callable[[Service, Params], Params]:
    def action(svc: Service, params: Params) -> Params:
        search = _read_search(svc, params, "MaxPersonNumPerGroup", 10, MAX_GROUPS_BY_GROUP, by_person)
        galleries = {g: _entries(svc, [g], by_person) for g in search.group_ids}
        count = len(_entries(svc, search.group_ids, by_person))
        results = [
            {
                "FaceRect": rect(face.detection.box),
                "GroupCandidates": [
                    {"GroupId": g, "Candidates": _candidates(svc, search, face, entries, count)}
                    for g, entries in galleries.items()
                ]
                if _passes(search, face)
                else [],
                "RetCode": 0 if _passes(search, face) else QUALITY_FAILED,
            }
            for face in search.faces
        ]
        count_key = "PersonNum" if by_person else "FaceNum"
        return {"ResultsReturnsByGroup": results, count_key: count, "FaceModelVersion": search.version}

    return action


search_faces = _search(by_person=False)
search_persons = _search(by_person=True)
search_faces_by_group = _search_by_group(by_person=False)
search_persons_by_group = _search_by_group(by_person=True)


def _verify(fused: bool) -> Callable[[Service, Params], Params]:
    """VerifyPerson compares with the person's fused descriptor, VerifyFace with each face (best)."""

    def action(svc: Service, params: Params) -> Params:
        person = svc.person(p.person_id(params))
        quality = p.quality_control(params)
        version = svc.version_of(person)
        if fused:
            p.require_v3(version, "Person features")
        face = svc.largest_face(svc.image(params), quality)
        assert face.embedding is not None
        known = [f.embedding for f in svc.store.faces(person_id=person.person_id)]
        references = [unit(known)] if fused else known
        score = max(svc.score(face.embedding, ref, version) for ref in references)
        return {"Score": score, "IsMatch": score >= IS_MATCH_SCORE, "FaceModelVersion": version}

    return action


verify_face = _verify(fused=False)
verify_person = _verify(fused=True)


def _pair_cosine(svc: Service, params: Params) -> float:
    """The cosine of the largest faces of images A and B (``Url*`` before ``Image*``)."""
    quality = p.quality_control(params)
    a = svc.largest_face(svc.image(params, "ImageA", "UrlA"), quality)
    b = svc.largest_face(svc.image(params, "ImageB", "UrlB"), quality)
    assert a.embedding is not None and b.embedding is not None
    return float(np.dot(a.embedding, b.embedding))


def compare_face(svc: Service, params: Params) -> Params:
    version = p.model_version(params)
    return {"Score": svc.scorer.score(_pair_cosine(svc, params), version), "FaceModelVersion": version}


def compare_mask_face(svc: Service, params: Params) -> Params:
    """CompareFace for masked faces; documented for model 3.0 only. The appliance's descriptor is
    not trained on masks: the score is the plain 1:1 score of the same two faces."""
    version = p.model_version(params)
    p.require_v3(version, "Masked face comparisons")
    return {"Score": svc.scorer.score(_pair_cosine(svc, params), version), "FaceModelVersion": version}


def detect_face_similarity(svc: Service, params: Params) -> Params:
    """``Score`` 0-100 on this action's own scale (documented: 70 stands for 1e-4, a fixed cut)."""
    return {"Score": svc.scorer.similarity_score(_pair_cosine(svc, params))}


def detect_face(svc: Service, params: Params) -> Params:
    max_faces = p.integer(params, "MaxFaceNum", 1, 1, 120)
    min_size = p.integer(params, "MinFaceSize", 34, 20, 4000)  # DetectFace: down to 20 px
    version = p.model_version(params)
    image = svc.image(params)
    attributes = p.integer(params, "NeedFaceAttributes", 0, 0, 1) == 1
    quality = p.integer(params, "NeedQualityDetection", 0, 0, 1) == 1
    faces = svc.faces(image, max_faces=max_faces, min_size=min_size)
    infos = [{**rect(f.detection.box), "FaceAttributesInfo": face_attributes(f) if attributes else None,
              "FaceQualityInfo": face_quality(f) if quality else None} for f in faces]
    height, width = image.shape[:2]
    return {"ImageWidth": width, "ImageHeight": height, "FaceInfos": infos, "FaceModelVersion": version}


def face_attributes(face: Face) -> dict[str, Any]:
    """What the appliance measures of ``FaceAttributesInfo``: the pose (degrees; roll from the eye
    line, yaw and pitch from the quality stage's estimates). Gender, age, expression, glasses,
    hat, mask, hair and eyes are not estimated here, so they are left out rather than invented."""
    eyes = face.detection.keypoints
    dx, dy = (eyes[LEFT_EYE] - eyes[RIGHT_EYE]).tolist()
    measures = face.quality.measures
    return {"Pitch": round(measures.get("pitch_deg", 0.0)), "Yaw": round(measures.get("yaw_deg", 0.0)),
            "Roll": round(math.degrees(math.atan2(dy, dx)))}


def face_quality(face: Face) -> dict[str, Any]:
    """``FaceQualityInfo`` from the appliance's quality gates: ``Score`` 100 when no gate objects,
    25 less per objection (blur, pose, size, light); ``Brightness`` the chip's mean grey on 0-100.
    Sharpness and completeness have no calibrated 0-100 measure here and are left out."""
    brightness = face.quality.measures.get("brightness", 0.0)
    score = max(0, 100 - 25 * len(face.quality.reasons))
    return {"Score": score, "Brightness": round(brightness * 100 / 255)}
