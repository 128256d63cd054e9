"""The emulators over HTTPS (issue #20, item 8: the documents say HTTPS only), with a generated
self-signed certificate; the official IAI SDK, unmodified, verifies it like any CA's."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import httpx
from tencentcloud.common.credential import Credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.iai.v20200303 import models
from tencentcloud.iai.v20200303.iai_client import IaiClient

from edge.emulators.common import ServerThread, TlsFiles
from edge.emulators.iai.app import IaiServer
from edge.emulators.iai.scoring import Scorer
from edge.emulators.sensetime.app import create_app as sensetime_app
from edge.emulators.sensetime.engine import VisionEngine as SenseTimeEngine
from edge.emulators.sensetime.settings import EmulatorSettings, RateLimit
from edge.emulators.tls import self_signed
from edge.identify.local.calibration import load_calibration
from edge.vision.config import VisionSettings
from edge.vision.pipeline import FaceAnalyzer
from tests.iai import conftest as iai
from tests.sensetime import conftest as sensetime


def test_the_key_is_private_and_the_certificate_names_the_host(tmp_path: Path) -> None:
    files = self_signed(tmp_path, "127.0.0.1")
    assert files.key.stat().st_mode & 0o077 == 0
    context = ssl.create_default_context(cafile=str(files.cert))
    assert context.cert_store_stats()["x509_ca"] == 1


def test_the_official_iai_sdk_over_https(tmp_path: Path, vision: VisionSettings) -> None:
    tls = self_signed(tmp_path / "tls")
    server = IaiServer({iai.SECRET_ID: iai.SECRET_KEY}, tmp_path, FaceAnalyzer(vision),
                       Scorer(load_calibration(None, vision)))
    with ServerThread(server.app, tls=tls) as running:
        assert running.url.startswith("https://")
        http = HttpProfile(protocol="https", endpoint=running.url.removeprefix("https://"),
                           certification=str(tls.cert))
        client = IaiClient(Credential(iai.SECRET_ID, iai.SECRET_KEY), "ap-guangzhou",
                           ClientProfile(httpProfile=http))
        request = models.CreateGroupRequest()
        request.from_json_string(json.dumps({"GroupId": "tls", "GroupName": "tls"}))
        client.CreateGroup(request)
        listed = client.GetGroupList(models.GetGroupListRequest())
        assert [g.GroupId for g in listed.GroupInfos] == ["tls"]
    server.close()


def test_sensetime_over_https_and_not_over_http(tmp_path: Path, vision: VisionSettings) -> None:
    tls: TlsFiles = self_signed(tmp_path / "tls")
    settings = EmulatorSettings(sensetime.API_ID, sensetime.API_SECRET, tmp_path, RateLimit.parse("100q/1s"))
    with ServerThread(sensetime_app(settings, SenseTimeEngine(vision)), tls=tls) as running:
        credentials = {"api_id": sensetime.API_ID, "api_secret": sensetime.API_SECRET}
        verify = ssl.create_default_context(cafile=str(tls.cert))
        answer = httpx.get(running.url + "/info/api", params=credentials, verify=verify)
        assert answer.json()["status"] == "OK"
        plain = running.url.replace("https://", "http://")
        try:
            refused = httpx.get(plain + "/info/api", params=credentials).status_code
        except httpx.HTTPError:
            refused = 0
        assert refused != 200
