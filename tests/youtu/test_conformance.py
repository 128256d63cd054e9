"""Every YouTu action's answer against the documented field names and JSON types (docs/youtu.md,
"Answer fields"), over raw HTTP as a client written from the documents would read it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from edge.emulators.common import ServerThread
from tests.youtu.conftest import APPID, photo
from tests.youtu.test_seed_rules import call
from tests.youtu.test_wire import authorization

OBAMA_1, OBAMA_2, BIDEN_1 = photo("Barack_Obama/1"), photo("Barack_Obama/2"), photo("Joe_Biden/1")
STR, INT, NUM, BOOL, LIST, OBJ = str, int, (int, float), bool, list, dict

CANDIDATE = {"person_id": STR, "face_id": STR, "confidence": NUM, "tag": STR}
DOCUMENTED: dict[str, dict[str, object]] = {
    "newperson": {"session_id": STR, "person_id": STR, "face_id": STR, "suc_group": INT, "suc_face": INT,
                  "group_ids": LIST},
    "addface": {"session_id": STR, "added": INT, "face_ids": LIST, "ret_codes": LIST},
    "setinfo": {"session_id": STR, "person_id": STR},
    "getinfo": {"session_id": STR, "person_id": STR, "person_name": STR, "tag": STR, "face_ids": LIST,
                "group_ids": LIST},
    "getgroupids": {"group_ids": LIST},
    "getpersonids": {"person_ids": LIST},
    "getfaceids": {"face_ids": LIST},
    "getfaceinfo": {"face_info": {"face_id": STR, "x": INT, "y": INT, "width": NUM, "height": NUM,
                                  "gender": INT, "age": INT, "expression": INT, "glass": BOOL,
                                  "pitch": INT, "yaw": INT, "roll": INT}},
    "addgroupids": {"session_id": STR, "person_id": STR, "group_ids": LIST, "added": INT},
    "delgroupids": {"session_id": STR, "person_id": STR, "group_ids": LIST, "deleted": INT},
    "verify": {"session_id": STR, "confidence": NUM, "ismatch": BOOL},
    "identify": {"session_id": STR, "candidates": [CANDIDATE], "group_size": INT, "time_ms": INT},
    "multidentify": {"session_id": STR, "group_size": INT, "time_ms": INT,
                     "results": [{"face_rect": {"x": INT, "y": INT, "width": INT, "height": INT},
                                  "candidates": [CANDIDATE], "error_code": INT}]},
    "compare": {"session_id": STR, "similarity": NUM, "fail_flag": INT},
    "delface": {"session_id": STR, "deleted": INT, "face_ids": LIST},
    "delperson": {"session_id": STR, "person_id": STR, "deleted": INT},
}


def conforms(value: object, shape: object, where: str) -> list[str]:
    """What in ``value`` differs from the documented ``shape`` (a type, a dict of fields, [item])."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        missing = [f"{where}.{k}: missing" for k in shape if k not in value]
        present = [k for k in shape if k in value]
        return missing + [p for k in present for p in conforms(value[k], shape[k], f"{where}.{k}")]
    if isinstance(shape, list):
        if not isinstance(value, list) or not value:
            return [f"{where}: not a non-empty array"]
        return [p for i, item in enumerate(value) for p in conforms(item, shape[0], f"{where}[{i}]")]
    ok = isinstance(value, shape) and not (shape in (INT, NUM) and isinstance(value, bool))
    return [] if ok else [f"{where}: {type(value).__name__} {value!r}, documented {shape}"]


@pytest.fixture(scope="module")
def http(server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"Authorization": authorization()}) as client:
        yield client


def test_every_action_answers_the_documented_fields(http: httpx.Client) -> None:
    answers: dict[str, tuple[int, dict]] = {}
    answers["newperson"] = call(http, "newperson", {"image": OBAMA_1}, person_id="conf", group_ids=["cg"])
    answers["addface"] = call(http, "addface", {"images[0]": BIDEN_1}, person_id="conf", tag="t")
    face_id = answers["newperson"][1]["face_id"]
    answers["setinfo"] = call(http, "setinfo", person_id="conf", person_name="C", tag="x")
    answers["getinfo"] = call(http, "getinfo", person_id="conf")
    answers["getgroupids"] = call(http, "getgroupids")
    answers["getpersonids"] = call(http, "getpersonids", group_id="cg")
    answers["getfaceids"] = call(http, "getfaceids", person_id="conf")
    answers["getfaceinfo"] = call(http, "getfaceinfo", face_id=face_id)
    answers["addgroupids"] = call(http, "addgroupids", person_id="conf", group_ids=["cg2"])
    answers["delgroupids"] = call(http, "delgroupids", person_id="conf", group_ids=["cg2"])
    answers["verify"] = call(http, "verify", {"image": OBAMA_2}, person_id="conf")
    answers["identify"] = call(http, "identify", {"image": OBAMA_2}, group_id="cg")
    answers["multidentify"] = call(http, "multidentify", {"image": OBAMA_2}, group_id="cg")
    answers["compare"] = call(http, "compare", {"imageA": OBAMA_1, "imageB": OBAMA_2})
    answers["delface"] = call(http, "delface", person_id="conf", face_ids=answers["addface"][1]["face_ids"])
    answers["delperson"] = call(http, "delperson", person_id="conf")
    assert set(answers) == set(DOCUMENTED)
    problems = [f"{action}: code {code}" for action, (code, _) in answers.items() if code != 0]
    for action, (_, data) in answers.items():
        problems += conforms(data, DOCUMENTED[action], action)
    assert not problems, "\n".join(problems)


def test_the_appid_spellings_of_the_documents(http: httpx.Client) -> None:
    for spelling in ("appid", "AppId", "AppIId"):
        assert http.post("/face/getgroupids", json={spelling: APPID}).json()["code"] == 0
