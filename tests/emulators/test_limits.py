"""Per-person face limits under parallel requests (issue #19, item 4): the count and the insert are
one transaction, so calls racing at the limit never pass it. Each emulator here allows 3 faces per
person (IAI its documented 5); one face is enrolled, then six different faces are added at once."""

from __future__ import annotations

import base64
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.emulators.conftest import FACES, Target
from tests.emulators.test_adversarial import multipart

PHOTOS = sorted(FACES.glob("*/*.jpg"))  # seven photos of three people
FIRST, OTHERS = PHOTOS[0].read_bytes(), [p.read_bytes() for p in PHOTOS[1:]]


def in_parallel(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_youtu_faces_per_person(youtu_target: Target) -> None:
    fields = {"appid": "1250000000", "person_id": "racer"}
    body, kind = multipart({**fields, "group_ids[0]": "race"}, FIRST, "image")
    assert youtu_target.send("newperson", body, kind).json()["code"] == 0
    requests = [multipart(fields, photo, "images[0]") for photo in OTHERS]
    answers = in_parallel([lambda r=r: youtu_target.send("addface", *r) for r in requests])
    codes = sorted(a.json()["code"] for a in answers)
    assert codes == [-1309] * 4 + [0] * 2, codes
    faces = youtu_target.send("getfaceids", {"appid": "1250000000", "person_id": "racer"}).json()
    assert len(faces["data"]["face_ids"]) == 3


def test_sensetime_faces_per_person(sensetime_target: Target) -> None:
    def detect(photo: bytes) -> str:
        body, kind = multipart({}, photo, "file")
        (face,) = sensetime_target.send("/face/detection", body, kind).json()["faces"]
        return str(face["face_id"])

    person = sensetime_target.send("/person/create", {"name": "racer", "face_id": detect(FIRST)}).json()
    face_ids = [detect(photo) for photo in OTHERS]
    person_id = person["person_id"]
    answers = in_parallel([
        lambda f=f: sensetime_target.send("/person/add_face", {"person_id": person_id, "face_id": f})
        for f in face_ids
    ])
    assert sorted(a.json()["status"] for a in answers).count("QUOTA_EXCEEDED") == 4
    info = sensetime_target.send("/info/person", {"person_id": person["person_id"]}).json()
    assert len(info["face_ids"]) == 3


def test_iai_faces_per_person(iai_target: Target) -> None:
    def b64(photo: bytes) -> str:
        return base64.b64encode(photo).decode()

    iai_target.send("CreateGroup", {"GroupId": "race", "GroupName": "race"})
    created = iai_target.send("CreatePerson", {"GroupId": "race", "PersonId": "racer", "PersonName": "r",
                                               "Image": b64(FIRST)}).json()["Response"]
    assert "Error" not in created
    answers = in_parallel([
        lambda p=p: iai_target.send("CreateFace", {"PersonId": "racer", "Images": [b64(p)],
                                                   "FaceMatchThreshold": 0})
        for p in OTHERS
    ])
    errors = [a.json()["Response"].get("Error", {}).get("Code") for a in answers]
    assert errors.count("InvalidParameterValue.PersonFaceNumExceed") == 2, errors
    info = iai_target.send("GetPersonBaseInfo", {"PersonId": "racer"}).json()["Response"]
    assert len(info["FaceIds"]) == 5
