"""Every SenseTime v1 endpoint's answer against the documented field names and JSON types
(docs/sensetime.md, "The API as implemented"; seed 004's list answers), over raw HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sensetime.conftest import API_ID, API_SECRET, Emulator, photo
from tests.youtu.test_conformance import BOOL, INT, LIST, NUM, OBJ, STR, conforms

CREDENTIALS = {"api_id": API_ID, "api_secret": API_SECRET}
RECT = {"left": INT, "top": INT, "right": INT, "bottom": INT}

DOCUMENTED: dict[str, dict[str, object]] = {
    "/info/api": {"status": STR, "api_id": STR, "rate_limit": STR, "quota": OBJ, "usage": OBJ},
    "/face/detection": {"status": STR, "image_id": STR, "width": INT, "height": INT,
                        "faces": [{"face_id": STR, "rect": RECT, "eye_dist": INT, "landmarks21": LIST}]},
    "/info/image": {"status": STR, "image_id": STR, "width": INT, "height": INT, "faces": LIST},
    "/info/face": {"status": STR, "face_id": STR, "rect": OBJ, "eye_dist": INT, "image_id": STR},
    "/person/create": {"status": STR, "person_id": STR, "name": STR, "face_count": INT},
    "/person/add_face": {"status": STR, "person_id": STR, "added_count": INT, "face_count": INT},
    "/person/remove_face": {"status": STR, "person_id": STR, "removed_count": INT, "face_count": INT},
    "/group/create": {"status": STR, "group_id": STR, "name": STR, "person_count": INT},
    "/group/add_person": {"status": STR, "group_id": STR, "name": STR, "added_count": INT,
                          "person_count": INT},
    "/faceset/create": {"status": STR, "faceset_id": STR, "name": STR, "face_count": INT},
    "/faceset/add_face": {"status": STR, "faceset_id": STR, "name": STR, "added_count": INT,
                          "face_count": INT},
    "/face/training": {"status": STR},
    "/face/verification": {"status": STR, "face_id": STR, "face2_id": STR, "confidence": NUM,
                           "same_person": BOOL},
    "/face/search": {"status": STR, "face_id": STR, "faceset_id": STR,
                     "candidates": [{"face_id": STR, "confidence": NUM}]},
    "/face/identification": {"status": STR, "face_id": STR, "group_id": STR,
                             "candidates": [{"person_id": STR, "name": STR, "confidence": NUM}]},
    "/info/person": {"status": STR, "person_id": STR, "name": STR, "face_ids": LIST},
    "/info/group": {"status": STR, "group_id": STR, "name": STR, "persons": LIST},
    "/info/faceset": {"status": STR, "faceset_id": STR, "name": STR, "face_ids": LIST},
    "/info/list_persons": {"status": STR, "persons": [{"person_id": STR, "name": STR, "face_count": INT}]},
    "/info/list_groups": {"status": STR, "groups": [{"group_id": STR, "name": STR, "person_count": INT}]},
    "/info/list_facesets": {"status": STR, "facesets": [{"faceset_id": STR, "name": STR, "face_count": INT}]},
}


def test_every_endpoint_answers_the_documented_fields(emulator: Emulator) -> None:
    def post(path: str, files: dict[str, Any] | None = None, **fields: object) -> dict[str, Any]:
        answer = httpx.post(f"{emulator.url}{path}", data={**CREDENTIALS, **fields}, files=files, timeout=30)
        assert answer.status_code == 200, (path, answer.text)
        answers[path] = answer.json()
        return answers[path]

    answers: dict[str, dict[str, Any]] = {}
    post("/info/api")
    a = post("/face/detection", files={"file": ("a.jpg", photo("Barack_Obama/1"), "image/jpeg")})
    b = httpx.post(f"{emulator.url}/face/detection", data=CREDENTIALS,
                   files={"file": ("b.jpg", photo("Barack_Obama/2"), "image/jpeg")}).json()
    face_a, face_b = a["faces"][0]["face_id"], b["faces"][0]["face_id"]
    post("/info/image", image_id=a["image_id"], with_faces="true")
    post("/info/face", face_id=face_a)
    person = post("/person/create", name="conf", face_id=face_a)["person_id"]
    post("/person/add_face", person_id=person, face_id=face_b)
    post("/person/remove_face", person_id=person, face_id=face_b)
    group = post("/group/create", name="conf")["group_id"]
    post("/group/add_person", group_id=group, person_id=person)
    faceset = post("/faceset/create", name="conf")["faceset_id"]
    post("/faceset/add_face", faceset_id=faceset, face_id=face_a)
    post("/face/training", group_id=group, faceset_id=faceset)
    post("/face/verification", face_id=face_a, face2_id=face_b)
    post("/face/search", face_id=face_b, faceset_id=faceset)
    post("/face/identification", face_id=face_b, group_id=group)
    post("/info/person", person_id=person)
    post("/info/group", group_id=group)
    post("/info/faceset", faceset_id=faceset)
    for listing in ("/info/list_persons", "/info/list_groups", "/info/list_facesets"):
        post(listing)
    assert set(answers) == set(DOCUMENTED)
    problems = []
    for path, body in answers.items():
        problems += conforms(body, DOCUMENTED[path], path)
    assert not problems, "\n".join(problems)
