"""Images named by URL (issue #20, item 15): fetched within a size and a time bound, from the
allow-listed hosts only; the IAI emulator's ``Url`` / ``Urls`` through the official SDK."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from edge.emulators.common import ServerThread
from edge.emulators.fetch import FetchError, FetchFailure, UrlFetcher
from edge.emulators.iai.app import IaiServer
from edge.emulators.iai.scoring import Scorer
from edge.identify.local.calibration import load_calibration
from edge.vision.config import VisionSettings
from edge.vision.pipeline import FaceAnalyzer
from tests.emulators.conftest import photo
from tests.iai import conftest as iai

OBAMA, BIDEN = photo("Barack_Obama/1"), photo("Joe_Biden/1")


@pytest.fixture(scope="module")
def image_host() -> Iterator[str]:
    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "slow.jpg":
            await asyncio.sleep(2)
        if name == "big.jpg":
            return Response(b"\xff\xd8\xff" + bytes(3 * 1024 * 1024), media_type="image/jpeg")
        pictures = {"obama.jpg": OBAMA, "biden.jpg": BIDEN, "slow.jpg": OBAMA}
        if name not in pictures:
            return Response(status_code=404)
        return Response(pictures[name], media_type="image/jpeg")

    with ServerThread(Starlette(routes=[Route("/{name}", serve)])) as server:
        yield server.url


def test_the_fetcher_keeps_its_bounds(image_host: str) -> None:
    fetcher = UrlFetcher(max_bytes=1024 * 1024, timeout_s=0.5)
    assert fetcher.fetch(f"{image_host}/obama.jpg") == OBAMA
    cases = [(f"{image_host}/big.jpg", FetchFailure.TOO_LARGE),
             (f"{image_host}/slow.jpg", FetchFailure.TIMEOUT),
             (f"{image_host}/none.jpg", FetchFailure.FAILED), ("file:///etc/passwd", FetchFailure.REFUSED)]
    for url, failure in cases:
        with pytest.raises(FetchError) as caught:
            fetcher.fetch(url)
        assert caught.value.failure is failure, url


def test_the_allow_list(image_host: str) -> None:
    assert UrlFetcher(10, allow=("127.0.0.0/8",)).allowed("127.0.0.1")
    assert UrlFetcher(10, allow=("*.cams.local",)).allowed("door.cams.local")
    assert not UrlFetcher(10, allow=("*.cams.local", "10.0.0.0/8")).allowed("127.0.0.1")
    with pytest.raises(FetchError) as caught:
        UrlFetcher(10**6, allow=("cams.local",)).fetch(f"{image_host}/obama.jpg")
    assert caught.value.failure is FetchFailure.REFUSED


def test_iai_urls_through_the_official_sdk(image_host: str, tmp_path: Path, vision: VisionSettings) -> None:
    scorer = Scorer(load_calibration(None, vision))
    server = IaiServer({iai.SECRET_ID: iai.SECRET_KEY}, tmp_path, FaceAnalyzer(vision), scorer)
    with ServerThread(server.app) as running:
        client = iai.sdk_client(running.url)
        iai.call(client, "CreateGroup", GroupId="g", GroupName="g")
        iai.call(client, "CreatePerson", GroupId="g", PersonId="obama", PersonName="O",
                 Url=f"{image_host}/obama.jpg")
        added = iai.call(client, "CreateFace", PersonId="obama", Urls=[f"{image_host}/biden.jpg"],
                         FaceMatchThreshold=0)
        assert added.SucFaceNum == 1
        compared = iai.call(client, "CompareFace", UrlA=f"{image_host}/obama.jpg",
                            ImageB=base64.b64encode(OBAMA).decode())
        assert compared.Score > 90
        missing = iai.error_code(client, "DetectFace", Url=f"{image_host}/none.jpg")
        assert missing == "FailedOperation.ImageDownloadError"
    server.close()
    refusing = IaiServer({iai.SECRET_ID: iai.SECRET_KEY}, tmp_path / "b", FaceAnalyzer(vision), scorer,
                         url_allow=("cams.local",))
    with ServerThread(refusing.app) as running:
        refused = iai.error_code(iai.sdk_client(running.url), "DetectFace", Url=f"{image_host}/obama.jpg")
        assert refused == "FailedOperation.ImageDownloadError"
    refusing.close()
