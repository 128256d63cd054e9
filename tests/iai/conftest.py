"""A local IAI server per module on a free loopback port (real vision core, real face photos),
and the official SDK pointed at it."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from pydantic import SecretStr
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.iai.v20200303 import models
from tencentcloud.iai.v20200303.iai_client import IaiClient

from edge.emulators.common import ServerThread
from edge.emulators.iai.app import IaiServer
from edge.emulators.iai.scoring import Scorer
from edge.emulators.iai.signing import canonical_request, signature, utc_date
from edge.identify.iai.config import IaiBackendConfig
from edge.identify.local.calibration import load_calibration
from edge.vision.config import VisionSettings
from edge.vision.image_io import decode_image
from edge.vision.pipeline import FaceAnalyzer

FACES = Path(__file__).parents[1] / "fixtures" / "faces"
SECRET_ID = "AKIDEXAMPLE"
SECRET_KEY = "SECRETKEYEXAMPLE"


def photo(name: str) -> bytes:
    """e.g. ``photo("Barack_Obama/1")``."""
    return (FACES / f"{name}.jpg").read_bytes()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sdk_client(url: str, secret_id: str = SECRET_ID, secret_key: str = SECRET_KEY,
               cafile: Path | None = None) -> IaiClient:
    """The official SDK client talking to ``url`` (``http://127.0.0.1:PORT``, or ``https://``
    trusting the certificate ``cafile``)."""
    scheme, _, endpoint = url.partition("://")
    http = HttpProfile(protocol=scheme, endpoint=endpoint, reqTimeout=30,
                       certification=str(cafile) if cafile else None)
    return IaiClient(Credential(secret_id, secret_key), "ap-guangzhou", ClientProfile(httpProfile=http))


def call(client: IaiClient, action: str, **params: Any) -> Any:
    """Run ``action`` through the SDK's typed request and response models."""
    request = getattr(models, f"{action}Request")()
    request.from_json_string(json.dumps(params))
    return getattr(client, action)(request)


def error_code(client: IaiClient, action: str, **params: Any) -> str:
    """The error code the SDK raised for the call (fails the test if the call succeeded)."""
    with pytest.raises(TencentCloudSDKException) as caught:
        call(client, action, **params)
    assert caught.value.requestId, "an answer of the server carries a request id"
    return str(caught.value.code)


def signed_headers(host: str, body: bytes, action: str, *, key: str = SECRET_KEY,
                   timestamp: int | None = None) -> dict[str, str]:
    """The headers of a TC3-signed request, for raw HTTP tests."""
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {"content-type": "application/json", "host": host}
    canonical = canonical_request("POST", "/", "", headers, ["content-type", "host"], body)
    return {
        **headers,
        "x-tc-action": action,
        "x-tc-version": "2020-03-03",
        "x-tc-timestamp": str(ts),
        "authorization": f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{utc_date(ts)}/iai/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={signature(key, ts, canonical)}",
    }


def side_by_side(*names: str) -> np.ndarray:
    """A BGR frame with the photos next to each other (several faces in one frame)."""
    images = [decode_image(photo(n), max_pixels=10**8) for n in names]
    height = min(i.shape[0] for i in images)
    return cv2.hconcat([cv2.resize(i, (round(i.shape[1] * height / i.shape[0]), height)) for i in images])


def jpeg(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return data.tobytes()


def backend_config(url: str, **overrides: object) -> IaiBackendConfig:
    fields: dict[str, object] = {
        "endpoint": url.removeprefix("http://"),
        "scheme": "http",
        "secret_id": SECRET_ID,
        "secret_key": SecretStr(SECRET_KEY),
        "group_ids": ["staff"],
        **overrides,
    }
    return IaiBackendConfig.model_validate(fields)


@pytest.fixture(scope="session")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer(VisionSettings())


@pytest.fixture(scope="session")
def scorer() -> Scorer:
    return Scorer(load_calibration(None, VisionSettings()))


@pytest.fixture(scope="module")
def iai_server(
    analyzer: FaceAnalyzer, scorer: Scorer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IaiServer]:
    """A fresh server (empty state) for each test module."""
    server = IaiServer({SECRET_ID: SECRET_KEY}, tmp_path_factory.mktemp("iai"), analyzer, scorer)
    yield server
    server.close()


@pytest.fixture(scope="module")
def server_url(iai_server: IaiServer) -> Iterator[str]:
    with ServerThread(iai_server.app) as running:
        yield running.url


@pytest.fixture(scope="module")
def client(server_url: str) -> IaiClient:
    return sdk_client(server_url)
