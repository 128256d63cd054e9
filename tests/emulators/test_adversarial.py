"""Malformed input on every endpoint of the three emulators (issue #19, "Must show").

For each endpoint a bounded set of malformed requests, all with valid credentials so they reach
the API's own checks (plus bad credentials): wrong types, missing fields, nested JSON, broken
multipart and forms, truncated, undecodable and oversized images. Every answer must be a
documented error of that API (never a 5xx or an internal error), and the emulator's stored state
must be exactly what it was before.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterable, Iterator

import httpx
import pytest

from edge.identify.iai.errors import ServiceFailed, error_for_code
from edge.identify.sensetime.errors import STATUSES
from edge.identify.youtu.errors import MESSAGES
from tests.emulators.conftest import Target, photo

JPEG = photo("Barack_Obama/1")
DEEP = b"[" * 5000 + b"]" * 5000


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` (the pixel data is one empty row)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 16, 6, 0, 0, 0)  # 16-bit RGBA: the costly kind
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")) + \
        chunk(b"IEND", b"")


BAD_IMAGES = {
    "truncated": JPEG[:3000],
    "not an image": b"this is not an image",
    "empty": b"",
    "over the pixel budget": png_header(5000, 5000),
    "decompression bomb": png_header(100_000, 100_000),
}
WRONG_TYPES = {"object": {"a": [1]}, "nested list": [[1], [2]], "number": 12345, "bool": True,
               "null": None, "long text": "x" * 100_000}
JSON_TYPE = "application/json"


def multipart(fields: dict[str, str], image: bytes, image_field: str, close: bool = True
              ) -> tuple[bytes, str]:
    parts = [f'--B\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--B\r\nContent-Disposition: form-data; name="{image_field}"; filename="a.jpg"\r\n'
                 "Content-Type: image/jpeg\r\n\r\n".encode() + image + b"\r\n")
    if close:
        parts.append(b"--B--\r\n")
    return b"".join(parts), "multipart/form-data; boundary=B"


# ---- per API: the fields its endpoints read, how it answers, a little state to protect ----------

YOUTU_READ_ONLY = {"getinfo", "getgroupids", "getpersonids", "getfaceids", "getfaceinfo", "verify",
                   "identify", "multidentify", "compare"}
YOUTU_FIELDS = ["person_id", "person_name", "group_id", "group_ids", "face_id", "face_ids", "tag", "url",
                "urls", "urlA", "urlB", "session_id", "mode"]
SENSETIME_FIELDS = ["person_id", "group_id", "faceset_id", "face_id", "face2_id", "face_ids", "image_id",
                    "task_id", "name", "user_data", "url", "top", "limit", "offset", "landmarks106",
                    "attributes"]
IAI_FIELDS = ["GroupId", "GroupIds", "GroupName", "PersonId", "PersonName", "Gender", "FaceIds", "Url",
              "Urls", "UrlA", "UrlB", "Image", "Images", "ImageA", "ImageB", "Offset", "Limit",
              "MaxFaceNum", "MinFaceSize", "MaxPersonNum", "FaceMatchThreshold", "QualityControl",
              "NeedPersonInfo", "NeedFaceAttributes", "SourceGroupId", "NeedRotateDetection", "Tag",
              "GroupExDescriptions", "GroupExDescriptionInfos", "PersonExDescriptionInfos",
              "UniquePersonControl"]


def youtu_cases(target: Target, action: str) -> Iterator[tuple[str, bytes, str]]:
    appid = {"appid": "1250000000"}
    yield "missing fields", json.dumps(appid).encode(), JSON_TYPE
    for kind, value in WRONG_TYPES.items():
        body = {**appid, **dict.fromkeys(YOUTU_FIELDS, value)}
        yield f"{kind} fields", json.dumps(body).encode(), JSON_TYPE
    yield "nested JSON", b'{"appid": "1250000000", "person_id": ' + DEEP + b"}", JSON_TYPE
    yield "not JSON", b'{"appid": ', JSON_TYPE
    # the seeded person only where a well-formed request could not change anything
    person_id = "p1" if action in YOUTU_READ_ONLY else "p2"
    fields = {**appid, "person_id": person_id, "group_ids[0]": "g1", "face_ids[0]": "x"}
    yield ("broken multipart", *multipart(fields, JPEG, "image", close=False))
    for kind, image in BAD_IMAGES.items():
        yield (f"{kind} image", *multipart(fields, image, "image"))
        yield (f"{kind} imageB", *multipart(fields, image, "imageB"))


def malformed_json(fields: Iterable[str], first: str) -> Iterator[tuple[str, bytes, str]]:
    """JSON bodies no endpoint can accept: no fields, every field of a wrong type, nesting past
    the limit under ``first``, and a body cut short."""
    yield "missing fields", b"{}", JSON_TYPE
    for kind, value in WRONG_TYPES.items():
        yield f"{kind} fields", json.dumps(dict.fromkeys(fields, value)).encode(), JSON_TYPE
    yield "nested JSON", f'{{"{first}": '.encode() + DEEP + b"}", JSON_TYPE
    yield "not JSON", f'{{"{first}": '.encode(), JSON_TYPE


def sensetime_cases(target: Target, path: str) -> Iterator[tuple[str, bytes, str]]:
    yield from malformed_json(SENSETIME_FIELDS, "person_id")
    yield "broken form", b"%zz=&&=%&face_id=%ff%fe", "application/x-www-form-urlencoded"
    yield ("broken multipart", *multipart({"name": "x"}, JPEG, "file", close=False))
    for kind, image in BAD_IMAGES.items():
        # unknown ids and no name: no endpoint can succeed (a create with a name alone would)
        yield (f"{kind} image", *multipart({"person_id": "0" * 32, "face_id": "0" * 32}, image, "file"))


def iai_cases(target: Target, action: str) -> Iterator[tuple[str, bytes, str]]:
    yield from malformed_json(IAI_FIELDS, "GroupId")
    # the seeded group only where a well-formed request could not change anything
    group_id = "g1" if action.startswith(("Get", "Search", "Verify", "Compare", "Detect")) else "g2"
    for kind, image in BAD_IMAGES.items():
        encoded = base64.b64encode(image).decode()
        fields = {"GroupId": group_id, "GroupIds": [group_id], "PersonId": "p2", "PersonName": "x",
                  "Image": encoded, "Images": [encoded], "ImageA": encoded, "ImageB": encoded,
                  "FaceMatchThreshold": 0}
        yield f"{kind} image", json.dumps(fields).encode(), JSON_TYPE


def youtu_documented(answer: httpx.Response) -> str | None:
    """None if the answer is a documented one; else what is wrong with it."""
    code = answer.json().get("code")
    ok = answer.status_code == 200 and code in MESSAGES and code != 213 or code == 0
    return None if ok else f"HTTP {answer.status_code}, code {code}"


def sensetime_documented(answer: httpx.Response) -> str | None:
    status = answer.json().get("status")
    if answer.status_code == 200 and status == "OK":
        return None
    ok = answer.status_code < 500 and status in STATUSES and status != "INTERNAL_ERROR"
    return None if ok else f"HTTP {answer.status_code}, status {status}"


def iai_documented(answer: httpx.Response) -> str | None:
    response = answer.json()["Response"]
    if "Error" not in response:
        return None
    code = response["Error"]["Code"]
    ok = answer.status_code == 200 and not isinstance(error_for_code(code), ServiceFailed)
    return None if ok else f"HTTP {answer.status_code}, code {code}"


def seed(target: Target) -> None:
    """Something to protect: a person with a face in a group (and for SenseTime a faceset too)."""
    if target.name == "youtu":
        fields = {"appid": "1250000000", "person_id": "p1", "group_ids[0]": "g1"}
        body, kind = multipart(fields, JPEG, "image")
        assert target.send("newperson", body, kind).json()["code"] == 0
    elif target.name == "sensetime":
        body, kind = multipart({}, JPEG, "file")
        (face,) = target.send("/face/detection", body, kind).json()["faces"]
        person = target.send("/person/create", {"name": "p1", "face_id": face["face_id"]}).json()
        target.send("/group/create", {"name": "g1", "person_id": person["person_id"]})
        target.send("/faceset/create", {"name": "f1", "face_id": face["face_id"]})
    else:
        encoded = base64.b64encode(JPEG).decode()
        group = target.send("CreateGroup", {"GroupId": "g1", "GroupName": "g1"}).json()
        assert "Error" not in group["Response"]
        answer = target.send("CreatePerson", {"GroupId": "g1", "PersonId": "p1", "PersonName": "p1",
                                              "Image": encoded}).json()
        assert "Error" not in answer["Response"]


CASES = {"youtu": (youtu_cases, youtu_documented), "sensetime": (sensetime_cases, sensetime_documented),
         "iai": (iai_cases, iai_documented)}


@pytest.mark.parametrize("name", ["youtu", "sensetime", "iai"])
def test_malformed_input_gets_documented_errors_and_changes_nothing(name: str,
                                                                    request: pytest.FixtureRequest) -> None:
    target: Target = request.getfixturevalue(f"{name}_target")
    cases, documented = CASES[name]
    seed(target)
    before = target.state()
    wrong = []
    for endpoint in target.endpoints:
        for case, body, content_type in cases(target, endpoint):
            answer = target.send(endpoint, body, content_type)
            problem = documented(answer)
            if problem:
                wrong.append(f"{endpoint} with {case}: {problem}")
        unsigned = target.send(endpoint, b"{}", signed=False)
        if documented(unsigned) or unsigned.status_code == 200 and name == "sensetime":
            wrong.append(f"{endpoint} without credentials: HTTP {unsigned.status_code} {unsigned.text[:80]}")
    assert not wrong, "\n".join(wrong)
    assert target.state() == before
