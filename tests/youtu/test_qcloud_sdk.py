"""The official legacy Python SDK (``qcloud-image`` 1.0.0, unmodified) against the emulator.

The SDK always talks to ``service.image.myqcloud.com``; here it reaches the emulator as it would
through an HTTP proxy (``HTTP_PROXY``, honoured by its ``requests``), so the emulator sees the
absolute-form request targets a server must accept. Every face call of the seeds that the SDK
exposes runs, with uploads and with a URL: newperson, delperson, addface, delface, setinfo,
getinfo, getgroupids, getpersonids, getfaceids, getfaceinfo, identify, verify, compare (the SDK
has no addgroupids, delgroupids or multidentify).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import qcloud_image
from qcloud_image import CIBuffer, CIBuffers, CIUrl

from edge.emulators.common import ServerThread
from tests.youtu.conftest import APPID, SECRET_ID, SECRET_KEY, photo
from tests.youtu.test_wire import image_host  # noqa: F401 - a fixture

OBAMA_1, OBAMA_2, BIDEN_1 = photo("Barack_Obama/1"), photo("Barack_Obama/2"), photo("Joe_Biden/1")


@pytest.fixture
def sdk(server: ServerThread, monkeypatch: pytest.MonkeyPatch) -> Iterator[qcloud_image.Client]:
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the photos' host, fetched directly by the emulator
    yield qcloud_image.Client(APPID, SECRET_ID, SECRET_KEY, "tencentyun")


def data(answer: dict[str, Any]) -> dict[str, Any]:
    assert (answer["httpcode"], answer["code"]) == (200, 0), answer
    return dict(answer["data"])


def test_every_seed_call_of_the_legacy_sdk(sdk: qcloud_image.Client, request: pytest.FixtureRequest) -> None:
    photos: ServerThread = request.getfixturevalue("image_host")
    created = data(sdk.face_newperson("sdk-obama", ["sdk-staff"], CIBuffer(OBAMA_1), person_name="Barack"))
    assert (created["person_id"], created["suc_face"]) == ("sdk-obama", 1)
    assert created["group_ids"] == ["sdk-staff"]
    by_url = data(sdk.face_newperson("sdk-url", ["sdk-staff"], CIUrl(f"{photos.url}/biden.jpg")))
    assert by_url["suc_face"] == 1
    added = data(sdk.face_addface("sdk-obama", CIBuffers([OBAMA_2]), tag="second"))
    assert added["added"] == 1
    assert data(sdk.face_setinfo("sdk-obama", person_name="Obama", tag="44"))["person_id"] == "sdk-obama"
    info = data(sdk.face_getinfo("sdk-obama"))
    assert (info["person_name"], info["tag"], len(info["face_ids"])) == ("Obama", "44", 2)
    assert "sdk-staff" in data(sdk.face_getgroupids())["group_ids"]
    assert set(data(sdk.face_getpersonids("sdk-staff"))["person_ids"]) == {"sdk-obama", "sdk-url"}
    face_ids = data(sdk.face_getfaceids("sdk-obama"))["face_ids"]
    assert data(sdk.face_getfaceinfo(face_ids[0]))["face_info"]["face_id"] == face_ids[0]
    found = data(sdk.face_identify("sdk-staff", CIBuffer(OBAMA_2)))
    assert found["candidates"][0]["person_id"] == "sdk-obama"
    assert data(sdk.face_verify("sdk-obama", CIBuffer(OBAMA_2)))["ismatch"]
    assert data(sdk.face_compare(CIBuffer(OBAMA_1), CIBuffer(BIDEN_1)))["similarity"] < 50
    assert data(sdk.face_delface("sdk-obama", [added["face_ids"][0]]))["deleted"] == 1
    assert data(sdk.face_delperson("sdk-url"))["deleted"] == 1
    missing = sdk.face_getinfo("sdk-url")
    assert missing["code"] == -1303, missing
