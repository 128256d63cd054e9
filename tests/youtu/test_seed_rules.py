"""Seeds 000-003 point by point where a client written from the documents would notice (issue #20,
items 9-13): integer fields, session_id everywhere, url over upload, -1313, fail_flag, a
candidate's tag, the decimal 1.5 MB limit, the first five faces of multidentify."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import httpx
import numpy as np
import pytest

from edge.emulators.common import ServerThread
from edge.vision.image_io import decode_image
from tests.youtu.conftest import APPID, photo
from tests.youtu.test_wire import answer, authorization, image_host  # noqa: F401 - a fixture

OBAMA_1, OBAMA_2, BIDEN_1 = photo("Barack_Obama/1"), photo("Barack_Obama/2"), photo("Joe_Biden/1")


@pytest.fixture(scope="module")
def http(server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"Authorization": authorization()}) as client:
        yield client


def call(http: httpx.Client, action: str, files: dict[str, bytes] | None = None, **fields: object
         ) -> tuple[int, dict]:
    body = {"appid": APPID, **fields}
    if files is None:
        return answer(http.post(f"/face/{action}", json=body))
    form = {k: str(v) for k, v in body.items() if not isinstance(v, list)}
    for name, values in body.items():
        if isinstance(values, list):
            form.update({f"{name}[{i}]": str(v) for i, v in enumerate(values)})
    return answer(http.post(f"/face/{action}", data=form, files=files))


@pytest.fixture(scope="module")
def enrolled(http: httpx.Client) -> str:
    code, data = call(http, "newperson", {"image": OBAMA_1}, person_id="seed-obama", group_ids=["seed"],
                      tag="person tag")
    assert code == 0, data
    return str(data["face_id"])


def test_integer_fields_are_integers(http: httpx.Client, enrolled: str) -> None:
    code, data = call(http, "getfaceinfo", face_id=enrolled)
    assert code == 0
    info = data["face_info"]
    assert all(type(info[k]) is int for k in ("x", "y", "pitch", "yaw", "roll")), info
    code, data = call(http, "multidentify", {"image": OBAMA_1}, group_id="seed")
    assert code == 0
    assert all(type(v) is int for v in data["results"][0]["face_rect"].values())


@pytest.mark.parametrize(("action", "fields"), [
    ("getinfo", {"person_id": "seed-obama"}),
    ("setinfo", {"person_id": "seed-obama", "person_name": "Barack"}),
    ("addgroupids", {"person_id": "seed-obama", "group_ids": ["seed-2"]}),
    ("delgroupids", {"person_id": "seed-obama", "group_ids": ["seed-2"]}),
])
def test_session_id_is_echoed(http: httpx.Client, enrolled: str, action: str, fields: dict) -> None:
    code, data = call(http, action, session_id="s-42", **fields)
    assert data.get("session_id") == "s-42", (code, data)


def test_session_id_is_echoed_through_a_persons_life(http: httpx.Client) -> None:
    code, data = call(http, "newperson", {"image": BIDEN_1}, person_id="sess", group_ids=["s"],
                      session_id="a")
    assert (code, data["session_id"]) == (0, "a")
    code, data = call(http, "addface", {"images[0]": OBAMA_2}, person_id="sess", session_id="b")
    assert (code, data["session_id"]) == (0, "b")
    code, data = call(http, "delface", person_id="sess", face_ids=data["face_ids"], session_id="c")
    assert (code, data["session_id"]) == (0, "c")
    code, data = call(http, "delperson", person_id="sess", session_id="d")
    assert (code, data["session_id"]) == (0, "d")


def test_group_changes_name_the_groups(http: httpx.Client, enrolled: str) -> None:
    code, data = call(http, "addgroupids", person_id="seed-obama", group_ids=["seed-3", "seed"])
    assert (code, data["group_ids"], data["added"]) == (0, ["seed-3"], 1)
    code, data = call(http, "delgroupids", person_id="seed-obama", group_ids=["seed-3", "nowhere"])
    assert (code, data["group_ids"], data["deleted"]) == (0, ["seed-3"], 1)


def test_a_url_wins_over_an_upload(http: httpx.Client, image_host: ServerThread) -> None:  # noqa: F811
    code, data = call(http, "compare", {"imageA": OBAMA_1, "imageB": OBAMA_1},
                      urlB=f"{image_host.url}/biden.jpg")
    assert code == 0 and data["similarity"] < 50, data


@pytest.mark.parametrize("bad_id", ["with space", "with/slash", "with\ttab", "with\nnewline"])
def test_ids_with_separators_are_1313(http: httpx.Client, bad_id: str) -> None:
    code, _ = call(http, "newperson", {"image": OBAMA_1}, person_id=bad_id, group_ids=["seed"])
    assert code == -1313
    assert call(http, "getpersonids", group_id=bad_id)[0] == -1313


def test_compare_names_the_image_that_failed(http: httpx.Client) -> None:
    blank = cv2.imencode(".jpg", np.full((200, 200, 3), 128, np.uint8))[1].tobytes()
    code, data = call(http, "compare", {"imageA": OBAMA_1, "imageB": blank})
    assert (code, data) == (-1101, {"fail_flag": 2})
    code, data = call(http, "compare", {"imageA": OBAMA_1, "imageB": OBAMA_2})
    assert (code, data["fail_flag"]) == (0, 0)


def test_a_candidate_carries_its_face_tag(http: httpx.Client, enrolled: str) -> None:
    code, data = call(http, "addface", {"images[0]": BIDEN_1}, person_id="seed-obama", tag="face tag")
    assert code == 0, data
    code, data = call(http, "identify", {"image": BIDEN_1}, group_id="seed")
    assert data["candidates"][0]["tag"] == "face tag"


def test_the_limit_is_1_5_decimal_megabytes(http: httpx.Client) -> None:
    over = http.post("/face/getgroupids", content=b'{"appid": "' + b" " * 1_500_001 + b'"}',
                     headers={"content-type": "application/json"})
    assert answer(over)[0] == 23


def test_multidentify_answers_the_first_five_faces(http: httpx.Client, enrolled: str) -> None:
    face = decode_image(OBAMA_1, max_pixels=10**8)
    row = cv2.hconcat([face] * 3)
    crowd = cv2.imencode(".jpg", cv2.vconcat([row, row]))[1].tobytes()  # six faces
    code, data = call(http, "multidentify", {"image": crowd}, group_id="seed")
    assert code == 0 and len(data["results"]) == 5
