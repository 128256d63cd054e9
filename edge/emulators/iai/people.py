"""Group, person and face management: CreateGroup ... GetPersonBaseInfo."""

from __future__ import annotations

import sqlite3
from typing import Any

import numpy as np

from edge.emulators.iai import groups as groups_
from edge.emulators.iai import params as p
from edge.emulators.iai.api_error import ApiError
from edge.emulators.iai.images import decode_base64_image, decode_image_bytes, download
from edge.emulators.iai.service import (
    DECODE_FAILED,
    NO_FACE,
    NOT_SIMILAR,
    QUALITY_FAILED,
    Service,
    existing_group,
    rect,
)
from edge.emulators.iai.store import Group, new_face_id
from edge.emulators.sqlite_state import LimitReached
from edge.identify.iai.tables import verify_threshold

MAX_FACES_PER_PERSON = 5
MAX_IMAGES_PER_CREATE_FACE = 4
MAX_GROUPS = 100
# CreateFace answers these per image (RetCode) rather than failing the call (a typo'd image must
# not cost the others)
PER_IMAGE_CODES = {
    "FailedOperation.FaceQualityNotQualified": QUALITY_FAILED,
    "InvalidParameterValue.NoFaceInPhoto": NO_FACE,
    "FailedOperation.ImageDecodeFailed": DECODE_FAILED,
    "FailedOperation.ImageDownloadError": DECODE_FAILED,
}

Params = dict[str, Any]


def _group_exists(group_id: str) -> ApiError:
    return ApiError("InvalidParameterValue.GroupIdAlreadyExist", f"Group {group_id} already exists.")


def _person_exists(person_id: str) -> ApiError:
    return ApiError("InvalidParameterValue.PersonIdAlreadyExist", f"Person {person_id} already exists.")


def _name(params: Params, key: str, too_long_code: str) -> str:
    name = p.text(params, key, max_len=10_000)
    if len(name) > p.NAME_MAX_LEN:
        raise ApiError(too_long_code, f"{key} is longer than {p.NAME_MAX_LEN} characters.")
    return name


def create_group(svc: Service, params: Params) -> Params:
    name = _name(params, "GroupName", "InvalidParameterValue.GroupNameTooLong")
    group_id = p.group_id(params)
    tag = p.group_tag(params)
    version = p.model_version(params)
    ex_descriptions = groups_.group_ex_descriptions(params)
    if svc.store.group(group_id):
        raise _group_exists(group_id)
    if svc.store.group_named(name):
        raise ApiError("InvalidParameterValue.GroupNameAlreadyExist", f"Group name {name!r} is taken.")
    try:
        svc.store.add_group(group_id, name, tag, version, ex_descriptions)
    except sqlite3.IntegrityError:
        raise _group_exists(group_id) from None
    return {"FaceModelVersion": version}


def get_group_list(svc: Service, params: Params) -> Params:
    offset = p.integer(params, "Offset", 0, 0, 10**9, "InvalidParameterValue.OffsetExceed")
    limit = p.integer(params, "Limit", 10, 1, 1000, "InvalidParameterValue.LimitExceed")
    found, total = svc.store.groups(offset, limit)
    return {"GroupInfos": [groups_.group_info(g) for g in found], "GroupNum": total}


# UniquePersonControl 1-4: a person of the group at least this alike (1:1 false-accept rate) is
# taken for the same person, and none is created (the documents' 1%, 0.1%, 0.01%, 0.001%).
UNIQUE_PERSON_FAR = {1: 1e-2, 2: 1e-3, 3: 1e-4, 4: 1e-5}


def create_person(svc: Service, params: Params) -> Params:
    group = existing_group(svc, p.group_id(params))
    name = _name(params, "PersonName", "InvalidParameterValue.PersonNameTooLong")
    person_id = p.person_id(params)
    gender = p.integer(params, "Gender", 0, 0, 2, "InvalidParameterValue.PersonGenderIllegal")
    quality = p.quality_control(params)
    unique = p.integer(params, "UniquePersonControl", 0, 0, 4,
                       "InvalidParameterValue.UniquePersonControlIllegal")
    ex_values = groups_.person_ex_descriptions(params, group)
    if svc.store.person(person_id):
        raise _person_exists(person_id)
    face = svc.largest_face(svc.image(params), quality)
    assert face.embedding is not None
    answer = {"FaceRect": rect(face.detection.box), "SimilarPersonId": "", "FaceModelVersion": group.version}
    if unique:
        similar = _same_person(svc, group, face.embedding, UNIQUE_PERSON_FAR[unique])
        if similar:
            return {**answer, "FaceId": "", "SimilarPersonId": similar}
    face_id = new_face_id()
    try:
        svc.store.add_person(person_id, name, gender, group.group_id, face_id, face.embedding)
    except sqlite3.IntegrityError:
        raise _person_exists(person_id) from None
    svc.store.set_person_fields(group.group_id, person_id, ex_values)
    return {**answer, "FaceId": face_id}


def _same_person(svc: Service, group: Group, embedding: np.ndarray, far: float) -> str:
    """The group's person most alike, if at or above the 1:1 table's score for ``far``; else ""."""
    cut = verify_threshold(group.version, far).score
    best, best_score = "", cut
    for known in svc.store.faces(group_ids=[group.group_id]):
        score = svc.score(embedding, known.embedding, group.version)
        if score >= best_score:
            best, best_score = known.person_id, score
    return best


def copy_person(svc: Service, params: Params) -> Params:
    person = svc.person(p.person_id(params))
    group_ids = p.text_list(params, "GroupIds", MAX_GROUPS, "InvalidParameterValue.GroupIdsExceed")
    version = svc.version_of(person)
    for group_id in group_ids:
        if existing_group(svc, group_id).version != version:
            raise ApiError("FailedOperation.AcrossVersionsError", "Groups of different model versions.")
    svc.store.add_memberships(person.person_id, group_ids)
    return {"SucGroupIds": group_ids, "SucGroupNum": len(group_ids)}


def _too_many_faces() -> ApiError:
    return ApiError("InvalidParameterValue.PersonFaceNumExceed", "A person holds at most 5 faces.")


def create_face(svc: Service, params: Params) -> Params:
    person = svc.person(p.person_id(params))
    key = "Urls" if params.get("Urls") else "Images"  # given both, only Urls are used (documented)
    images = params.get(key)
    if not images:
        raise ApiError("MissingParameter", "The request is missing the required parameter Images.")
    if not isinstance(images, list) or not all(isinstance(image, str) for image in images):
        raise ApiError("InvalidParameter", f"{key} must be a list of strings.")
    if len(images) > MAX_IMAGES_PER_CREATE_FACE:
        raise ApiError("InvalidParameterValue.UploadFaceNumExceed", "At most 4 images per call.")
    if len(person.face_ids) + len(images) > MAX_FACES_PER_PERSON:
        raise _too_many_faces()  # before the costly detection; checked again where faces are added
    threshold = p.number(
        params, "FaceMatchThreshold", 60.0, 0, 100, "InvalidParameterValue.FaceMatchThresholdIllegal"
    )
    quality = p.quality_control(params)
    version = svc.version_of(person)
    known = [f.embedding for f in svc.store.faces(person_id=person.person_id)]
    codes, added, indexes, rects = [], [], [], []
    for index, encoded in enumerate(images):
        try:
            name = f"{key}.{index}"
            image = decode_base64_image(encoded, name) if key == "Images" else \
                decode_image_bytes(download(svc.fetcher, encoded, name), name)
            face = svc.largest_face(image, quality)
        except ApiError as exc:
            if exc.code not in PER_IMAGE_CODES:
                raise
            codes.append(PER_IMAGE_CODES[exc.code])
            continue
        assert face.embedding is not None
        if max(svc.score(face.embedding, k, version) for k in known) < threshold:
            codes.append(NOT_SIMILAR)
            continue
        codes.append(0)
        added.append((new_face_id(), face.embedding))
        indexes.append(index)
        rects.append(rect(face.detection.box))
    try:
        svc.store.add_faces(person.person_id, added, MAX_FACES_PER_PERSON)
    except LimitReached:
        raise _too_many_faces() from None
    return {
        "SucFaceNum": len(added),
        "SucFaceIds": [face_id for face_id, _ in added],
        "RetCode": codes,
        "SucIndexes": indexes,
        "SucFaceRects": rects,
        "FaceModelVersion": version,
    }


def delete_face(svc: Service, params: Params) -> Params:
    person = svc.person(p.person_id(params))
    too_many = "InvalidParameterValue.DeleteFaceNumExceed"
    face_ids = p.text_list(params, "FaceIds", MAX_FACES_PER_PERSON, too_many)
    if not set(person.face_ids) - set(face_ids):
        raise ApiError(too_many, "A person keeps at least one face.")
    deleted = svc.store.delete_faces(person.person_id, face_ids)
    return {"SucDeletedNum": len(deleted), "SucFaceIds": deleted}


def delete_person(svc: Service, params: Params) -> Params:
    person_id = p.person_id(params)
    if not svc.store.delete_person(person_id):
        raise ApiError("InvalidParameterValue.PersonIdNotExist", f"Person {person_id} does not exist.")
    return {}


def get_person_list(svc: Service, params: Params) -> Params:
    group = existing_group(svc, p.group_id(params))
    offset = p.integer(params, "Offset", 0, 0, 10**9, "InvalidParameterValue.OffsetExceed")
    limit = p.integer(params, "Limit", 10, 1, 1000, "InvalidParameterValue.LimitExceed")
    persons, person_count, face_count = svc.store.persons_in_group(group.group_id, offset, limit)
    infos = [
        {
            "PersonName": person.name,
            "PersonId": person.person_id,
            "Gender": person.gender,
            "PersonExDescriptions": svc.person_ex_values(group, person.person_id),
            "FaceIds": list(person.face_ids),
            "CreationTimestamp": person.created_ms,
        }
        for person in persons
    ]
    return {
        "PersonInfos": infos,
        "PersonNum": person_count,
        "FaceNum": face_count,
        "FaceModelVersion": group.version,
    }


def get_person_base_info(svc: Service, params: Params) -> Params:
    person = svc.person(p.person_id(params))
    return {"PersonName": person.name, "Gender": person.gender, "FaceIds": list(person.face_ids)}
