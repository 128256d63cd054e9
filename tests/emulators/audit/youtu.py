"""The audit's YouTu probes (seeds 000-003, docs/youtu.md)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import cv2
import numpy as np

from edge.identify.youtu.client import YoutuClient
from edge.identify.youtu.signature import sign
from tests.emulators.audit import (
    BIDEN_1,
    BIDEN_2,
    BLANK,
    COLLINS,
    OBAMA_1,
    OBAMA_2,
    OBAMA_3,
    Probe,
    Probes,
    expect,
    fields_problems,
    gif,
    new_id,
)
from tests.emulators.conftest import Target
from tests.youtu.conftest import APPID, SECRET_ID, SECRET_KEY, youtu_config
from tests.youtu.test_conformance import DOCUMENTED as YOUTU_FIELDS

YOUTU_IMAGE_ACTIONS = {
    "newperson": "image",
    "addface": "images[0]",
    "verify": "image",
    "identify": "image",
    "multidentify": "image",
    "compare": "imageA",
}
YOUTU_OVER_BODY = 1_500_001  # seeds: at most 1.5 MB, decimal


class Youtu:
    """The YouTu emulator as the audit drives it: raw calls, the project's client, two enrolled
    persons in ``audit-staff``."""

    def __init__(self, target: Target, image_url: Callable[[str], str]) -> None:
        self.target = target
        self.url = image_url
        self.client = YoutuClient(youtu_config(target.url))
        self.obama = self.person(OBAMA_1, groups=["audit-staff"])
        self.biden = self.person(BIDEN_1, groups=["audit-staff"])
        self.obama_face = self.call("getfaceids", person_id=self.obama)[1]["face_ids"][0]

    def call(
        self,
        action: str,
        files: dict[str, bytes] | None = None,
        *,
        auth: bool = True,
        appid_key: str = "appid",
        **fields: object,
    ) -> tuple[int, dict[str, Any]]:
        """(code, data) of one call: JSON without uploads, multipart with indexed arrays with them;
        the appid under ``appid_key`` (the documents also write ``AppId``)."""
        headers = self.target.sign(action, b"")[0] if auth else {}
        body = {appid_key: APPID, **fields}
        url = self.target.url + f"/face/{action}"
        if files is None:
            response = self.target.http.post(url, json=body, headers=headers)
        else:
            form: dict[str, str] = {}
            for name, value in body.items():
                if isinstance(value, list):
                    form.update({f"{name}[{i}]": str(v) for i, v in enumerate(value)})
                else:
                    form[name] = str(value)
            response = self.target.http.post(url, data=form, files=files, headers=headers)
        expect(response.status_code == 200 or not auth, f"HTTP {response.status_code}")
        envelope = response.json()
        expect(set(envelope) == {"code", "message", "data"}, f"envelope {envelope}")
        return int(envelope["code"]), envelope["data"]

    def person(self, image: bytes, groups: list[str] | None = None) -> str:
        person_id = new_id("p")
        code, data = self.call(
            "newperson", {"image": image}, person_id=person_id, group_ids=groups or [new_id("g")]
        )
        expect(code == 0, data)
        return person_id

    def happy(self, action: str) -> tuple[dict[str, bytes] | None, dict[str, object]]:
        """A valid request of ``action`` (fresh persons where it changes or deletes one)."""
        if action == "newperson":
            return {"image": OBAMA_3}, {"person_id": new_id("p"), "group_ids": ["audit-staff"]}
        if action in ("delperson", "addface", "delface", "delgroupids", "setinfo"):
            person = self.person(BIDEN_2, groups=["audit-a", "audit-b"])
            faces = self.call("getfaceids", person_id=person)[1]["face_ids"]
            return {
                "delperson": (None, {"person_id": person}),
                "addface": ({"images[0]": BIDEN_1}, {"person_id": person, "tag": "t"}),
                "delface": (None, {"person_id": person, "face_ids": faces}),
                "delgroupids": (None, {"person_id": person, "group_ids": ["audit-b"]}),
                "setinfo": (None, {"person_id": person, "person_name": "N", "tag": "T"}),
            }[action]
        return {
            "getinfo": (None, {"person_id": self.obama}),
            "getgroupids": (None, {}),
            "getpersonids": (None, {"group_id": "audit-staff"}),
            "getfaceids": (None, {"person_id": self.obama}),
            "getfaceinfo": (None, {"face_id": self.obama_face}),
            "addgroupids": (None, {"person_id": self.biden, "group_ids": [new_id("g")]}),
            "verify": ({"image": OBAMA_2}, {"person_id": self.obama}),
            "identify": ({"image": OBAMA_2}, {"group_id": "audit-staff"}),
            "multidentify": ({"image": OBAMA_2}, {"group_id": "audit-staff"}),
            "compare": ({"imageA": OBAMA_1, "imageB": OBAMA_2}, {}),
        }[action]

    def code(
        self, action: str, expected: int, files: dict[str, bytes] | None = None, **fields: object
    ) -> None:
        code, data = self.call(action, files, **fields)
        expect(code == expected, f"code {code}, expected {expected}: {data}")


def youtu_probes(yt: Youtu) -> list[Probe]:
    p = Probes("youtu")
    for action in YOUTU_FIELDS:

        def happy(action: str = action, **extra: object) -> tuple[int, dict[str, Any]]:
            files, fields = yt.happy(action)
            return yt.call(action, files, **fields, **extra)

        p.add(
            action,
            "server",
            "a valid call answers HTTP 200 and code 0 at POST /face/<action>",
            lambda happy=happy: expect(happy()[0] == 0, happy()),
        )
        p.add(
            action,
            "fields",
            "documented answer fields and JSON types",
            lambda action=action, happy=happy: fields_problems(happy()[1], YOUTU_FIELDS[action], action),
        )
        p.add(
            action,
            "errors",
            "no Authorization header is code 4",
            lambda action=action: expect(yt.call(action, yt.happy(action)[0], auth=False)[0] == 4, "not 4"),
        )
        p.add(
            action,
            "limits",
            "a body over 1.5 MB (decimal) is code 23",
            lambda action=action: yt.code(action, 23, None, pad="x" * YOUTU_OVER_BODY),
        )
        p.add(
            action,
            "params",
            "the documents' AppId spelling is accepted",
            lambda happy=happy: expect(happy(appid_key="AppId")[0] == 0, "AppId refused"),
        )
        if "session_id" in YOUTU_FIELDS[action]:
            p.add(
                action,
                "params",
                "session_id is echoed",
                lambda happy=happy: expect(
                    happy(session_id="audit-s")[1].get("session_id") == "audit-s", "not echoed"
                ),
            )
    _youtu_client_probes(p, yt)
    _youtu_specific_probes(p, yt)
    return p.items


def _youtu_client_probes(p: Probes, yt: Youtu) -> None:
    c = yt.client

    def fresh() -> str:
        return yt.person(BIDEN_2, groups=["audit-c1", "audit-c2"])

    calls: dict[str, Callable[[], object]] = {
        "newperson": lambda: c.newperson(new_id("p"), ["audit-staff"], OBAMA_3),
        "delperson": lambda: c.delperson(fresh()),
        "addface": lambda: c.addface(fresh(), [BIDEN_1]),
        "delface": lambda: (lambda pid: c.delface(pid, c.getfaceids(pid)))(fresh()),
        "setinfo": lambda: c.setinfo(yt.obama, person_name="Barack"),
        "getinfo": lambda: c.getinfo(yt.obama),
        "getgroupids": c.getgroupids,
        "getpersonids": lambda: c.getpersonids("audit-staff"),
        "getfaceids": lambda: c.getfaceids(yt.obama),
        "getfaceinfo": lambda: c.getfaceinfo(yt.obama_face),
        "addgroupids": lambda: c.addgroupids(yt.biden, [new_id("g")]),
        "delgroupids": lambda: c.delgroupids(fresh(), ["audit-c2"]),
        "verify": lambda: c.verify(yt.obama, OBAMA_2),
        "identify": lambda: _identify_in_two_groups(yt),
        "multidentify": lambda: c.multidentify(["audit-staff"], OBAMA_2),
        "compare": lambda: c.compare(OBAMA_1, OBAMA_2),
    }
    p.add_client_calls("YoutuClient", calls)


def _youtu_specific_probes(p: Probes, yt: Youtu) -> None:
    ids = {
        "newperson": "person_id",
        "delperson": "person_id",
        "addface": "person_id",
        "delface": "person_id",
        "setinfo": "person_id",
        "getinfo": "person_id",
        "getfaceids": "person_id",
        "getfaceinfo": "face_id",
        "addgroupids": "person_id",
        "delgroupids": "person_id",
        "verify": "person_id",
        "getpersonids": "group_id",
        "identify": "group_id",
        "multidentify": "group_id",
    }
    unknown = {"person_id": -1303, "face_id": -1305, "group_id": -1306}
    for action, key in ids.items():

        def with_id(value: str, action: str = action, key: str = key) -> tuple[int, dict[str, Any]]:
            files, fields = yt.happy(action)
            return yt.call(action, files, **{**fields, key: value})

        p.add(
            action,
            "errors",
            f"a {key} with a space is -1313",
            lambda with_id=with_id: expect(with_id("a b")[0] == -1313, with_id("a b")),
        )
        p.add(
            action,
            "limits",
            f"a {key} over 128 characters is -1304",
            lambda with_id=with_id: expect(with_id("x" * 129)[0] == -1304, "not -1304"),
        )
        p.add(
            action,
            "errors",
            "a missing id field is -1301",
            lambda action=action, key=key: expect(
                yt.call(
                    action, yt.happy(action)[0], **{k: v for k, v in yt.happy(action)[1].items() if k != key}
                )[0]
                == -1301,
                "not -1301",
            ),
        )
        if action != "newperson":
            p.add(
                action,
                "errors",
                f"an unknown {key} is {unknown[key]}",
                lambda with_id=with_id, key=key: expect(with_id(new_id("u"))[0] == unknown[key], key),
            )
    for action, upload in YOUTU_IMAGE_ACTIONS.items():

        def image_call(
            image: bytes | None, url: str | None = None, action: str = action, upload: str = upload
        ) -> int:
            files, fields = yt.happy(action)
            assert files is not None
            files = {k: v for k, v in files.items() if k != upload}
            if image is not None:
                files[upload] = image
            url_field = {"image": "url", "images[0]": "urls", "imageA": "urlA"}[upload]
            extra: dict[str, object] = {}
            if url is not None:
                extra[url_field] = [url] if url_field == "urls" else url
            # with no upload left, a part of no meaning keeps the request multipart
            return yt.call(action, files or {"unused": b""}, **fields, **extra)[0]

        p.add(
            action,
            "errors",
            "an image without a face is -1101",
            lambda image_call=image_call: expect(image_call(BLANK) == -1101, "not -1101"),
        )
        p.add(
            action,
            "errors",
            "an undecodable image is -1102",
            lambda image_call=image_call: expect(image_call(b"not an image") == -1102, "not -1102"),
        )
        p.add(
            action,
            "errors",
            "no image is -1300",
            lambda image_call=image_call: expect(image_call(None) == -1300, "not -1300"),
        )
        p.add(
            action,
            "limits",
            "a GIF is -1400",
            lambda image_call=image_call: expect(image_call(gif()) == -1400, "not -1400"),
        )
        p.add(
            action,
            "params",
            "given an upload and a url, the url is used",
            lambda image_call=image_call: expect(image_call(BLANK, yt.url("obama.jpg")) == 0, "upload used"),
        )
        p.add(
            action,
            "errors",
            "a url that cannot be downloaded is -1308",
            lambda image_call=image_call: expect(
                image_call(None, yt.url("missing.jpg")) == -1308, "not -1308"
            ),
        )
    p.add(
        "newperson",
        "errors",
        "an existing person_id is -1302",
        lambda: yt.code("newperson", -1302, {"image": OBAMA_1}, person_id=yt.obama, group_ids=["x"]),
    )
    p.add(
        "newperson",
        "params",
        "group_ids as indexed multipart fields create each group",
        lambda: expect(
            yt.call(
                "newperson", {"image": COLLINS}, person_id=new_id("p"), group_ids=["audit-i1", "audit-i2"]
            )[1]["suc_group"]
            == 2,
            "not 2 groups",
        ),
    )
    p.add(
        "addface",
        "errors",
        "a face 99 or more similar to one held is -1312",
        lambda: yt.code("addface", -1312, {"images[0]": OBAMA_1}, person_id=yt.obama),
    )
    p.add("addface", "limits", "a person holds at most 20 faces (-1309)", lambda: _twenty_faces(yt))
    p.add(
        "compare",
        "params",
        "fail_flag names the image without a face (2 = B)",
        lambda: expect(
            yt.call("compare", {"imageA": OBAMA_1, "imageB": BLANK})[1].get("fail_flag") == 2,
            "no fail_flag 2",
        ),
    )
    p.add("multidentify", "limits", "only the first five faces are answered", lambda: _first_five(yt))
    p.add("identify", "limits", "at most 5 candidates, sorted, unfiltered", lambda: _top_five(yt))
    p.add("identify", "params", "a candidate's tag is the matched face's tag", lambda: _face_tag(yt))
    p.add(
        "getfaceinfo",
        "fields",
        "x, y, pitch, yaw, roll are integers",
        lambda: expect(
            all(
                type(yt.call("getfaceinfo", face_id=yt.obama_face)[1]["face_info"][k]) is int
                for k in ("x", "y", "pitch", "yaw", "roll")
            ),
            "not int",
        ),
    )
    p.add(
        "multidentify",
        "fields",
        "face_rect values are integers",
        lambda: expect(
            all(
                type(v) is int
                for v in yt.call("multidentify", {"image": OBAMA_2}, group_id="audit-staff")[1]["results"][0][
                    "face_rect"
                ].values()
            ),
            "not int",
        ),
    )
    p.add("getgroupids", "errors", "a signature for another appid is 10", lambda: _other_appid(yt))


def _variants() -> Iterator[bytes]:
    """Faces distinct enough to fill a person (scoring under 99 with each other): the fixture
    photos as they are, blurred, grey and coarsened."""
    for jpeg in (OBAMA_2, OBAMA_3, BIDEN_1, BIDEN_2, COLLINS, OBAMA_1):
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        height, width = image.shape[:2]
        grey = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        coarse = cv2.resize(cv2.resize(image, None, fx=0.2, fy=0.2), (width, height))
        for version in (
            image,
            cv2.GaussianBlur(image, (0, 0), 4),
            cv2.GaussianBlur(image, (0, 0), 7),
            grey,
            coarse,
        ):
            yield cv2.imencode(".jpg", version)[1].tobytes()


def _twenty_faces(yt: Youtu) -> None:
    person = yt.person(OBAMA_1)
    held = 1
    for image in _variants():
        if held == 20:
            break
        held += yt.call("addface", {"images[0]": image}, person_id=person)[0] == 0
    expect(held == 20, f"only {held} faces could be added")
    yt.code("addface", -1309, {"images[0]": BIDEN_1}, person_id=person)


def _group_photo(*jpegs: bytes) -> bytes:
    """The photos as 300x375 tiles, three a row."""
    tiles = [
        cv2.resize(cv2.imdecode(np.frombuffer(j, np.uint8), cv2.IMREAD_COLOR), (300, 375)) for j in jpegs
    ]
    rows = [np.hstack(tiles[i : i + 3]) for i in range(0, len(tiles), 3)]
    return cv2.imencode(".jpg", np.vstack(rows))[1].tobytes()


def _first_five(yt: Youtu) -> None:
    photo6 = _group_photo(OBAMA_1, OBAMA_2, OBAMA_3, BIDEN_1, BIDEN_2, COLLINS)
    code, data = yt.call("multidentify", {"image": photo6}, group_id="audit-staff")
    expect(code == 0 and len(data["results"]) == 5, f"{code}, {len(data.get('results', []))} results")


def _top_five(yt: Youtu) -> None:
    group = new_id("g")
    for image in (OBAMA_1, OBAMA_2, OBAMA_3, BIDEN_1, BIDEN_2, COLLINS):
        yt.person(image, groups=[group])
    code, data = yt.call("identify", {"image": COLLINS}, group_id=group)
    scores = [c["confidence"] for c in data["candidates"]]
    expect(code == 0 and len(scores) == 5 and scores == sorted(scores, reverse=True), scores)


def _face_tag(yt: Youtu) -> None:
    group = new_id("g")
    person = new_id("p")
    yt.call("newperson", {"image": BIDEN_1}, person_id=person, group_ids=[group], tag="person-tag")
    yt.call("addface", {"images[0]": BIDEN_2}, person_id=person, tag="face-tag")
    code, data = yt.call("identify", {"image": BIDEN_2}, group_id=group)
    expect(code == 0 and data["candidates"][0]["tag"] == "face-tag", data)


def _other_appid(yt: Youtu) -> None:
    now = int(time.time())
    other = sign(
        appid="1", bucket="", secret_id=SECRET_ID, secret_key=SECRET_KEY, now=now, expiry=now + 60, rand=1
    )
    body = yt.target.http.post(
        yt.target.url + "/face/getgroupids", json={"appid": "1"}, headers={"authorization": other}
    ).json()
    expect(body["code"] == 10, body)


def _identify_in_two_groups(yt: Youtu) -> None:
    """Seed 001 documents one group_id per identify: the client makes one call per group and
    merges the candidates."""
    other = new_id("g")
    collins = yt.person(COLLINS, groups=[other])
    found = yt.client.identify(["audit-staff", other], COLLINS)
    staff = len(yt.client.getpersonids("audit-staff"))
    expect(found.candidates[0].person_id == collins and found.group_size == staff + 1, found)
