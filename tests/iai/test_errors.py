"""Documented codes -> typed errors; SDK exceptions without an answer -> BackendUnavailable; a
rate-limited cloud counts against its circuit breaker."""

from __future__ import annotations

from pathlib import Path

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from edge.emulators.common import ServerThread
from edge.emulators.iai.app import IaiServer
from edge.emulators.iai.scoring import Scorer
from edge.errors import BackendUnavailable, RemoteError
from edge.gallery.store import GalleryStore
from edge.identify.chain import BackendChain, CircuitState
from edge.identify.config import IdentifySettings
from edge.identify.iai import errors
from edge.identify.iai.backend import IaiBackend
from edge.identify.local.backend import LocalBackend
from edge.identify.local.calibration import load_calibration
from edge.vision.image_io import decode_image
from edge.vision.pipeline import FaceAnalyzer
from tests.iai.conftest import SECRET_ID, SECRET_KEY, backend_config, photo


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("AuthFailure.SignatureExpire", errors.AuthFailed),
        ("AuthFailure.SecretIdNotFound", errors.AuthFailed),
        ("InvalidParameterValue.NoFaceInPhoto", errors.NoFace),
        ("FailedOperation.ImageFacedetectFailed", errors.NoFace),
        ("FailedOperation.ImageSizeExceed", errors.ImageRejected),
        ("InvalidParameterValue.GroupIdNotExist", errors.GroupNotFound),
        ("InvalidParameterValue.NoFaceInGroups", errors.EmptyGallery),
        ("InvalidParameterValue.PersonIdAlreadyExist", errors.PersonExists),
        ("InvalidParameterValue.PersonIdNotExist", errors.PersonNotFound),
        ("InvalidParameterValue.LimitExceed", errors.InvalidRequest),
        ("MissingParameter", errors.InvalidRequest),
        ("ResourceUnavailable.InArrears", errors.AccountUnavailable),
        ("RequestLimitExceeded", errors.RateLimited),
        ("InternalError", errors.ServiceFailed),
        ("SomethingNew.NeverDocumented", errors.IaiError),
    ],
)
def test_documented_codes_become_their_types(code: str, kind: type[errors.IaiError]) -> None:
    error = errors.from_sdk(TencentCloudSDKException(code, "message", "request-1"))
    assert type(error) is kind
    assert isinstance(error, RemoteError)
    assert (error.code, error.message) == (code, "message")


def test_a_rate_limited_cloud_opens_its_circuit(
        analyzer: FaceAnalyzer, scorer: Scorer, tmp_path: Path) -> None:
    """RequestLimitExceeded is the vendor failing, not the request: it counts against the breaker,
    so the door stops waiting on a cloud that refuses it (and the local gallery answers)."""
    server = IaiServer({SECRET_ID: SECRET_KEY}, tmp_path / "iai", analyzer, scorer, rate_limit=0.2)
    settings = IdentifySettings(deadline_ms=2000, breaker_failures=2, breaker_reset_s=60)
    image = decode_image(photo("Barack_Obama/1"), max_pixels=10**8)
    faces = analyzer.analyze(image)
    with ServerThread(server.app) as running, GalleryStore(tmp_path / "gallery.sqlite") as gallery:
        local = LocalBackend(gallery, load_calibration(None, analyzer.settings), None, max_age=None)
        chain = BackendChain([IaiBackend(backend_config(running.url)), local], settings)
        try:
            first = chain.identify(image, faces)  # answered within the rate: its group does not exist
            assert (first.backend_name, first.offline) == ("local", False)
            assert chain.circuit_states()["iai"] is CircuitState.CLOSED
            for _ in range(settings.breaker_failures):  # over 1 call per 5 s: RequestLimitExceeded
                assert chain.identify(image, faces).offline
            assert chain.circuit_states()["iai"] is CircuitState.OPEN
        finally:
            chain.close()
            server.close()


@pytest.mark.parametrize("code", ["ClientNetworkError", "ServerNetworkError", "JSONDecodeError", "KeyError"])
def test_an_exception_without_an_answer_is_backend_unavailable(code: str) -> None:
    error = errors.from_sdk(TencentCloudSDKException(code, "x" * 1000))
    assert type(error) is BackendUnavailable
    assert len(str(error)) < 300
