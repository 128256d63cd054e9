"""The official legacy Python SDK (``qcloud-image`` 1.0.0, unmodified) against the emulator.

The SDK always talks to ``service.image.myqcloud.com``. It reaches the emulator two ways, as a
site could route it: over HTTP through a proxy (``HTTP_PROXY``, honoured by its ``requests``; the
emulator sees the absolute-form request targets a server must accept), and over HTTPS (the
documents' scheme) with Tencent's host name resolved to the emulator, which presents a
certificate for that name (``REQUESTS_CA_BUNDLE`` trusts it). Every face call of the seeds that the
SDK exposes runs, with uploads and with a URL: newperson, delperson, addface, delface, setinfo,
getinfo, getgroupids, getpersonids, getfaceids, getfaceinfo, identify, verify, compare (the SDK
has no addgroupids, delgroupids or multidentify).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qcloud_image
import urllib3.util.connection
from qcloud_image import CIBuffer, CIBuffers, CIUrl

from edge.emulators.common import ServerThread
from edge.emulators.tls import self_signed
from edge.emulators.youtu.engine import VisionEngine
from edge.emulators.youtu.service import Limits
from tests.youtu.conftest import APPID, SECRET_ID, SECRET_KEY, photo, running_emulator
from tests.youtu.test_wire import image_host  # noqa: F401 - a fixture

OBAMA_1, OBAMA_2, BIDEN_1 = photo("Barack_Obama/1"), photo("Barack_Obama/2"), photo("Joe_Biden/1")
SDK_HOST = "service.image.myqcloud.com"  # the SDK's only host (qcloud_image/conf.py)


@pytest.fixture(params=["http-proxy", "https"])
def sdk(request: pytest.FixtureRequest, engine: VisionEngine, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[qcloud_image.Client]:
    """The SDK reaching a fresh emulator by HTTP through a proxy, or by HTTPS at Tencent's name."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the photos' host, fetched directly by the emulator
    client = qcloud_image.Client(APPID, SECRET_ID, SECRET_KEY, "tencentyun")
    if request.param == "http-proxy":
        with running_emulator(engine, tmp_path, Limits()) as server:
            monkeypatch.setenv("HTTP_PROXY", server.url)
            yield client
        return
    tls = self_signed(tmp_path / "tls", SDK_HOST)
    with running_emulator(engine, tmp_path, Limits(), tls=tls) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.cert))
        resolve = urllib3.util.connection.create_connection

        def to_emulator(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
            """Tencent's host name at port 443 resolved to the emulator (a hosts-file entry)."""
            host, port = address
            return resolve((server.host, server.port) if (host, port) == (SDK_HOST, 443) else address,
                           *args, **kwargs)

        monkeypatch.setattr(urllib3.util.connection, "create_connection", to_emulator)
        client.use_https()
        yield client


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
