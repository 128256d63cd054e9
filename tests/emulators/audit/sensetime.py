"""The audit's SenseTime probes (seed 004, docs/sensetime.md)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from edge.identify.sensetime.client import SenseTimeClient
from tests.emulators.audit import (
    BIDEN_1,
    BIDEN_2,
    COLLINS,
    OBAMA_1,
    OBAMA_2,
    OBAMA_3,
    TINY,
    Probe,
    Probes,
    expect,
    fields_problems,
)
from tests.emulators.conftest import Target
from tests.sensetime import conftest as sensetime
from tests.sensetime.test_conformance import DOCUMENTED as SENSETIME_FIELDS
from tests.youtu.test_conformance import INT, STR

STATUS_ONLY: dict[str, object] = {"status": STR}
SENSETIME_ANSWERS: dict[str, object] = {
    **SENSETIME_FIELDS,
    "/info/task": {"status": STR, "task_id": STR, "task_status": STR},
    "/person/delete": STATUS_ONLY,
    "/person/change": STATUS_ONLY,
    "/group/delete": STATUS_ONLY,
    "/group/change": STATUS_ONLY,
    "/faceset/delete": STATUS_ONLY,
    "/faceset/change": STATUS_ONLY,
    "/group/remove_person": {"status": STR, "group_id": STR, "name": STR, "removed_count": INT},
    "/faceset/remove_face": {"status": STR, "faceset_id": STR, "name": STR, "removed_count": INT},
}
SENSETIME_OVER_BODY = 8 * 1024 * 1024 + 1  # the emulator's body bound; the file limit is 5 MB
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
ID_KINDS = {
    "face_id": "INVALID_FACE",
    "face2_id": "INVALID_FACE2",
    "person_id": "INVALID_PERSON",
    "group_id": "INVALID_GROUP",
    "faceset_id": "INVALID_FACESET",
    "image_id": "INVALID_IMAGE",
    "task_id": "INVALID_TASK",
}
UNKNOWN_HEX = "0" * 32
# Id fields that are optional (creating with members) or whose unknown ids are skipped (removals).
SENSETIME_OPTIONAL_IDS = {
    ("/person/create", "face_id"),
    ("/person/remove_face", "face_id"),
    ("/group/remove_person", "person_id"),
    ("/faceset/remove_face", "face_id"),
}


class SenseTime:
    """The SenseTime emulator as the audit drives it: raw calls, the project's client, detected
    faces, a trained person, group and faceset."""

    def __init__(self, target: Target, image_url: Callable[[str], str]) -> None:
        self.target = target
        self.url = image_url
        self.client = SenseTimeClient(
            sensetime.API_ID, sensetime.API_SECRET, base_url=target.url, timeout_s=30
        )
        self.obama_1, self.image_id = self.detect(OBAMA_1)
        self.obama_2, _ = self.detect(OBAMA_2)
        self.biden, _ = self.detect(BIDEN_1)
        self.spare = self.detect(BIDEN_2)[0]  # moved from person to person (seed 004: faces move)
        self.collins = self.detect(COLLINS)[0]
        self.person = self.ok("/person/create", name="obama", face_id=self.obama_1)["person_id"]
        self.group = self.ok("/group/create", name="staff", person_id=self.person)["group_id"]
        self.faceset = self.ok("/faceset/create", name="set", face_id=self.obama_2)["faceset_id"]
        self.ok("/face/training", group_id=self.group, faceset_id=self.faceset, person_id=self.person)

    def send(
        self,
        path: str,
        files: dict[str, bytes] | None = None,
        *,
        credentials: str = "query",
        **fields: object,
    ) -> httpx.Response:
        """One call; credentials in the query string, the form body, or a JSON body (``"json"``),
        or none (``"none"``); lists comma-separated in forms, arrays in JSON."""
        creds = {"api_id": sensetime.API_ID, "api_secret": sensetime.API_SECRET}
        query = creds if credentials == "query" else {}
        url = self.target.url + path
        if path.startswith("/info/"):
            return self.target.http.get(url, params={**query, **{k: str(v) for k, v in fields.items()}})
        if credentials == "json":
            return self.target.http.post(url, json={**creds, **fields})
        body = creds if credentials == "form" else {}
        form = {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in {**body, **fields}.items()}
        return self.target.http.post(url, params=query, data=form, files=files)

    def ok(self, path: str, files: dict[str, bytes] | None = None, **fields: object) -> dict[str, Any]:
        response = self.send(path, files, **fields)
        expect(response.status_code == 200, f"{path}: HTTP {response.status_code} {response.text[:200]}")
        return dict(response.json())

    def detect(self, image: bytes) -> tuple[str, str]:
        answer = self.ok("/face/detection", {"file": image})
        return answer["faces"][0]["face_id"], answer["image_id"]

    def status(
        self,
        path: str,
        expected: str,
        http: int = 400,
        files: dict[str, bytes] | None = None,
        **fields: object,
    ) -> None:
        response = self.send(path, files, **fields)
        body = response.json() if response.content else {}
        expect(
            (response.status_code, body.get("status")) == (http, expected),
            f"{response.status_code} {body}, expected {http} {expected}",
        )

    def fresh_person(self) -> str:
        """A new person holding the spare face (taken from whoever held it)."""
        return str(self.ok("/person/create", name="p", face_id=self.spare)["person_id"])

    def happy(self, path: str) -> tuple[dict[str, bytes] | None, dict[str, object]]:
        """A valid request of ``path`` (fresh entities where it changes or deletes one)."""
        if path == "/face/detection":
            return {"file": OBAMA_3}, {}
        if path in ("/person/delete", "/person/add_face", "/person/remove_face", "/person/change"):
            person = self.fresh_person()
            extra = {
                "/person/add_face": {"face_id": self.collins},
                "/person/remove_face": {"face_id": self.ok("/info/person", person_id=person)["face_ids"]},
                "/person/change": {"name": "renamed"},
            }.get(path, {})
            return None, {"person_id": person, **extra}
        if path.startswith("/group/") and path != "/group/create":
            group = self.ok("/group/create", name="g", person_id=self.person)["group_id"]
            extra = {
                "/group/add_person": {"person_id": self.fresh_person()},
                "/group/remove_person": {"person_id": self.person},
                "/group/change": {"name": "renamed"},
            }.get(path, {})
            return None, {"group_id": group, **extra}
        if path.startswith("/faceset/") and path != "/faceset/create":
            faceset = self.ok("/faceset/create", name="f", face_id=self.obama_2)["faceset_id"]
            extra = {
                "/faceset/add_face": {"face_id": self.biden},
                "/faceset/remove_face": {"face_id": self.obama_2},
                "/faceset/change": {"name": "renamed"},
            }.get(path, {})
            return None, {"faceset_id": faceset, **extra}
        return None, {
            "/info/api": {},
            "/info/task": {"task_id": self._task()},
            "/info/image": {"image_id": self.image_id, "with_faces": "true"},
            "/info/face": {"face_id": self.obama_1},
            "/info/list_persons": {},
            "/info/list_groups": {},
            "/info/list_facesets": {},
            "/info/person": {"person_id": self.person},
            "/info/group": {"group_id": self.group},
            "/info/faceset": {"faceset_id": self.faceset},
            "/face/verification": {"face_id": self.obama_2, "face2_id": self.obama_1},
            "/face/search": {"face_id": self.obama_1, "faceset_id": self.faceset},
            "/face/identification": {"face_id": self.obama_2, "group_id": self.group},
            "/face/training": {"person_id": self.person},
            "/person/create": {"name": "new", "face_id": self.collins},
            "/group/create": {"name": "new"},
            "/faceset/create": {"name": "new"},
        }[path]

    def _task(self) -> str:
        group = self.ok("/group/create", name="untrained", person_id=self.person)["group_id"]
        response = self.send("/face/identification", face_id=self.obama_2, group_id=group)
        expect(response.status_code == 202, f"identification in an untrained group: {response.status_code}")
        return str(response.json()["task_id"])


def sensetime_probes(st: SenseTime) -> list[Probe]:
    p = Probes("sensetime")
    for path in SENSETIME_ANSWERS:

        def happy(path: str = path, **extra: object) -> httpx.Response:
            files, fields = st.happy(path)
            return st.send(path, files, **fields, **extra)

        def served(path: str = path) -> None:
            response = happy(path)
            expect(
                response.status_code == 200 and response.json()["status"] in ("OK", "ok"),
                f"{response.status_code} {response.text[:200]}",
            )

        p.add(path, "server", "a valid call answers 200 and status OK", served)
        p.add(
            path,
            "fields",
            "documented answer fields and JSON types",
            lambda path=path, happy=happy: fields_problems(happy().json(), SENSETIME_ANSWERS[path], path),
        )
        p.add(
            path,
            "errors",
            "wrong credentials are 401 UNAUTHORIZED",
            lambda path=path: st.status(path, "UNAUTHORIZED", 401, credentials="none"),
        )
        p.add(
            path,
            "limits",
            "every answer carries the X-RateLimit headers",
            lambda happy=happy: expect(all(h in happy().headers for h in RATE_HEADERS), "headers missing"),
        )
        p.add(
            path,
            "params",
            "credentials are accepted in the body as well as the query string",
            lambda path=path: _credentials_in_body(st, path),
        )
        if not path.startswith("/info/"):
            p.add(
                path,
                "limits",
                "a body over the bound is IMAGE_FILE_SIZE_TOO_BIG (400)",
                lambda path=path: st.status(
                    path, "IMAGE_FILE_SIZE_TOO_BIG", 400, pad="x" * SENSETIME_OVER_BODY
                ),
            )
        _, fields = st.happy(path) if path not in ("/face/detection",) else (None, {})
        for key in fields:
            if key in ID_KINDS and (path, key) not in SENSETIME_OPTIONAL_IDS:
                p.add(
                    path,
                    "errors",
                    f"an unknown {key} is {ID_KINDS[key]}",
                    lambda path=path, key=key: st.status(
                        path, ID_KINDS[key], 400, st.happy(path)[0], **{**st.happy(path)[1], key: UNKNOWN_HEX}
                    ),
                )
                p.add(
                    path,
                    "errors",
                    f"a missing {key} is INVALID_ARGUMENT",
                    lambda path=path, key=key: st.status(
                        path,
                        "INVALID_ARGUMENT",
                        400,
                        st.happy(path)[0],
                        **{k: v for k, v in st.happy(path)[1].items() if k != key},
                    ),
                )
    _sensetime_client_probes(p, st)
    _sensetime_specific_probes(p, st)
    return p.items


def _credentials_in_body(st: SenseTime, path: str) -> None:
    files, fields = st.happy(path)
    where = "query" if path.startswith("/info/") else "json" if files is None else "form"
    response = st.send(path, files, credentials=where, **fields)
    expect(response.status_code == 200, f"{where}: {response.status_code} {response.text[:200]}")


def _sensetime_client_probes(p: Probes, st: SenseTime) -> None:
    c = st.client
    fresh = st.fresh_person

    def new_group() -> str:
        return c.group_create("g", [st.person])

    def new_faceset() -> str:
        return c.faceset_create("f", [st.obama_2])

    calls: dict[str, Callable[[], object]] = {
        "/info/api": c.info_api,
        "/info/task": lambda: c.info_task(str(st.happy("/info/task")[1]["task_id"])),
        "/info/image": lambda: c.info_image(st.image_id, with_faces=True),
        "/info/face": lambda: c.info_face(st.obama_1, with_image=True),
        "/info/list_persons": c.list_persons,
        "/info/list_groups": c.list_groups,
        "/info/list_facesets": c.list_facesets,
        "/info/person": lambda: c.info_person(st.person),
        "/info/group": lambda: c.info_group(st.group),
        "/info/faceset": lambda: c.info_faceset(st.faceset),
        "/face/detection": lambda: c.detect(OBAMA_3),
        "/face/verification": lambda: c.verify_faces(st.obama_2, st.obama_1),
        "/face/search": lambda: c.search(st.obama_1, faceset_id=st.faceset),
        "/face/identification": lambda: c.identify(st.obama_2, st.group),
        "/face/training": lambda: c.train(person_ids=[st.person]),
        "/person/create": lambda: c.person_create("new", [st.collins]),
        "/person/delete": lambda: c.person_delete(fresh()),
        "/person/add_face": lambda: c.person_add_face(fresh(), [st.collins]),
        "/person/remove_face": lambda: (lambda pid: c.person_remove_face(pid, c.info_person(pid).face_ids))(
            fresh()
        ),
        "/person/change": lambda: c.person_change(fresh(), name="renamed"),
        "/group/create": lambda: c.group_create("new"),
        "/group/delete": lambda: c.group_delete(new_group()),
        "/group/add_person": lambda: c.group_add_person(new_group(), [fresh()]),
        "/group/remove_person": lambda: c.group_remove_person(new_group(), [st.person]),
        "/group/change": lambda: c.group_change(new_group(), name="renamed"),
        "/faceset/create": lambda: c.faceset_create("new"),
        "/faceset/delete": lambda: c.faceset_delete(new_faceset()),
        "/faceset/add_face": lambda: c.faceset_add_face(new_faceset(), [st.biden]),
        "/faceset/remove_face": lambda: c.faceset_remove_face(new_faceset(), [st.obama_2]),
        "/faceset/change": lambda: c.faceset_change(new_faceset(), name="renamed"),
    }
    p.add_client_calls("SenseTimeClient", calls)


def _sensetime_specific_probes(p: Probes, st: SenseTime) -> None:
    empty_person = lambda: st.ok("/person/create", name="empty")["person_id"]  # noqa: E731
    p.add(
        "/face/detection",
        "errors",
        "not an image is CORRUPT_IMAGE",
        lambda: st.status("/face/detection", "CORRUPT_IMAGE", 400, {"file": b"not an image"}),
    )
    p.add(
        "/face/detection",
        "limits",
        "8 px wide is INVALID_IMAGE_FORMAT_OR_SIZE",
        lambda: st.status("/face/detection", "INVALID_IMAGE_FORMAT_OR_SIZE", 400, {"file": TINY}),
    )
    p.add(
        "/face/detection",
        "limits",
        "an image over 5 MB is IMAGE_FILE_SIZE_TOO_BIG",
        lambda: st.status(
            "/face/detection", "IMAGE_FILE_SIZE_TOO_BIG", 400, {"file": OBAMA_1 + bytes(5_300_000)}
        ),
    )
    p.add(
        "/face/detection",
        "params",
        "exif_orientation is answered when asked",
        lambda: expect(
            type(st.ok("/face/detection", {"file": OBAMA_3}, exif_orientation=1).get("exif_orientation"))
            is int,
            "no exif_orientation",
        ),
    )
    p.add(
        "/face/detection",
        "params",
        "url is fetched, user_data echoed",
        lambda: expect(
            st.ok("/face/detection", url=st.url("obama.jpg"), user_data="u").get("user_data") == "u",
            "user_data",
        ),
    )
    p.add(
        "/face/detection",
        "errors",
        "a url that cannot be fetched is DOWNLOAD_ERROR",
        lambda: st.status("/face/detection", "DOWNLOAD_ERROR", 400, url=st.url("missing.jpg")),
    )
    p.add(
        "/face/detection",
        "fields",
        "landmarks21 are computed by default (seed 004)",
        lambda: expect(
            "landmarks21" in st.ok("/face/detection", {"file": OBAMA_3})["faces"][0], "no landmarks21"
        ),
    )
    p.add(
        "/face/detection",
        "params",
        "landmarks106 and attributes when asked",
        lambda: expect(
            {"landmarks106", "attributes"}
            <= set(st.ok("/face/detection", {"file": OBAMA_3}, landmarks106=1, attributes=1)["faces"][0]),
            "not answered",
        ),
    )
    p.add(
        "/face/detection",
        "fields",
        "eye_dist is an integer",
        lambda: expect(
            type(st.ok("/face/detection", {"file": OBAMA_3})["faces"][0]["eye_dist"]) is int, "float"
        ),
    )
    p.add(
        "/face/verification",
        "errors",
        "an unknown face2_id is INVALID_FACE2",
        lambda: st.status(
            "/face/verification", "INVALID_FACE2", 400, face_id=st.obama_1, face2_id=UNKNOWN_HEX
        ),
    )
    p.add(
        "/face/verification",
        "errors",
        "a person without faces is EMPTY_PERSON",
        lambda: st.status(
            "/face/verification", "EMPTY_PERSON", 400, face_id=st.obama_1, person_id=empty_person()
        ),
    )
    p.add(
        "/face/verification",
        "params",
        "face vs person answers same_person",
        lambda: expect(
            _settled(st, "/face/verification", face_id=st.obama_2, person_id=st.person)["same_person"],
            "not the same person",
        ),
    )
    p.add(
        "/face/identification",
        "errors",
        "a group whose persons hold no face is EMPTY_GROUP",
        lambda: st.status(
            "/face/identification",
            "EMPTY_GROUP",
            400,
            face_id=st.obama_1,
            group_id=st.ok("/group/create", name="e", person_id=empty_person())["group_id"],
        ),
    )
    p.add(
        "/face/identification",
        "limits",
        "top 1-5: 6 is INVALID_ARGUMENT",
        lambda: st.status(
            "/face/identification", "INVALID_ARGUMENT", 400, face_id=st.obama_2, group_id=st.group, top=6
        ),
    )
    p.add(
        "/face/identification",
        "params",
        "only candidates above 0.6; top as a string",
        lambda: expect(
            all(
                c["confidence"] > 0.6
                for c in st.ok("/face/identification", face_id=st.biden, group_id=st.group, top="5")[
                    "candidates"
                ]
            ),
            "<= 0.6",
        ),
    )
    p.add(
        "/face/search",
        "errors",
        "an empty faceset is EMPTY_FACESET",
        lambda: st.status(
            "/face/search",
            "EMPTY_FACESET",
            400,
            face_id=st.obama_1,
            faceset_id=st.ok("/faceset/create", name="e")["faceset_id"],
        ),
    )
    p.add(
        "/face/search",
        "params",
        "given face_ids and faceset_id, the faceset wins",
        lambda: expect(
            st.ok("/face/search", face_id=st.obama_1, faceset_id=st.faceset, face_ids=[st.biden])[
                "candidates"
            ][0]["face_id"]
            == st.obama_2,
            "face_ids used",
        ),
    )
    p.add(
        "/face/search",
        "limits",
        "top 1-10: 11 is INVALID_ARGUMENT",
        lambda: st.status(
            "/face/search", "INVALID_ARGUMENT", 400, face_id=st.obama_1, faceset_id=st.faceset, top=11
        ),
    )
    p.add(
        "/person/add_face",
        "params",
        "a face held by another person moves to this one",
        lambda: _face_moves(st),
    )
    p.add(
        "/person/remove_face",
        "params",
        "unknown ids are skipped, the others removed",
        lambda: _removal_skips(st),
    )
    p.add(
        "/group/add_person",
        "params",
        "lists as JSON arrays in a JSON body",
        lambda: expect(
            st.send(
                "/group/add_person",
                credentials="json",
                group_id=st.happy("/group/change")[1]["group_id"],
                person_id=[st.fresh_person()],
            ).json()["added_count"]
            == 1,
            "not added",
        ),
    )
    p.add(
        "/group/remove_person",
        "params",
        "unknown ids are skipped, the others removed",
        lambda: expect(
            st.ok(
                "/group/remove_person",
                group_id=st.happy("/group/change")[1]["group_id"],
                person_id=[st.person, UNKNOWN_HEX],
            )["removed_count"]
            == 1,
            "not 1 removed",
        ),
    )
    p.add(
        "/faceset/remove_face",
        "params",
        "unknown ids are skipped, the others removed",
        lambda: expect(
            st.ok(
                "/faceset/remove_face",
                faceset_id=st.happy("/faceset/change")[1]["faceset_id"],
                face_id=[st.obama_2, UNKNOWN_HEX],
            )["removed_count"]
            == 1,
            "not 1 removed",
        ),
    )
    p.add("/info/task", "params", "a 202 task ends done with the result under result", lambda: _task_done(st))
    p.add(
        "/info/image",
        "params",
        "with_faces lists the image's faces",
        lambda: expect(
            len(st.ok("/info/image", image_id=st.image_id, with_faces="true")["faces"]) == 1, "faces"
        ),
    )
    p.add(
        "/info/face",
        "params",
        "rect values are strings on /info (a documented quirk)",
        lambda: expect(
            all(isinstance(v, str) for v in st.ok("/info/face", face_id=st.obama_1)["rect"].values()),
            "not strings",
        ),
    )


def _settled(st: SenseTime, path: str, **fields: object) -> dict[str, Any]:
    """The answer, waiting out a 202 task."""
    response = st.send(path, **fields)
    body = dict(response.json())
    while response.status_code == 202 or body.get("task_status") in ("pending", "processing"):
        time.sleep(0.05)
        response = st.send("/info/task", task_id=body.get("task_id", ""))
        body = dict(response.json())
        if body.get("task_status") == "done":
            return dict(body["result"])
    return body


def _face_moves(st: SenseTime) -> None:
    first, face = st.fresh_person(), st.spare
    second = st.ok("/person/create", name="second")["person_id"]
    st.ok("/person/add_face", person_id=second, face_id=face)
    expect(
        face in st.ok("/info/person", person_id=second)["face_ids"]
        and face not in st.ok("/info/person", person_id=first)["face_ids"],
        "the face did not move",
    )


def _removal_skips(st: SenseTime) -> None:
    person = st.fresh_person()
    face = st.ok("/info/person", person_id=person)["face_ids"][0]
    answer = st.ok("/person/remove_face", person_id=person, face_id=[face, UNKNOWN_HEX])
    expect(answer["removed_count"] == 1, answer)


def _task_done(st: SenseTime) -> None:
    task = st.happy("/info/task")[1]["task_id"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        body = st.ok("/info/task", task_id=task)
        if body["task_status"] == "done":
            expect(isinstance(body["result"].get("candidates"), list), body)
            return
        time.sleep(0.05)
    raise AssertionError("the task never ended")
