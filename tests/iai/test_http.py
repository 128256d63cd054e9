"""Authentication, rate limit and malformed requests: every answer is the envelope, HTTP 200."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from edge.emulators.common import ServerThread
from edge.emulators.iai.app import ACTIONS, IaiServer
from edge.emulators.iai.scoring import Scorer
from edge.vision.pipeline import FaceAnalyzer
from tests.iai.conftest import SECRET_ID, SECRET_KEY, call, error_code, sdk_client, signed_headers


@pytest.fixture
def make_server(analyzer: FaceAnalyzer, scorer: Scorer, tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start a server with its own options (clock, rate limit); stopped after the test."""
    running: list[tuple[ServerThread, IaiServer]] = []

    def start(**options: Any) -> str:
        data = tmp_path / str(len(running))
        server = IaiServer({SECRET_ID: SECRET_KEY}, data, analyzer, scorer, **options)
        thread = ServerThread(server.app).start()
        running.append((thread, server))
        return thread.url

    yield start
    for thread, server in running:
        thread.stop()
        server.close()


def _post(url: str, body: bytes, action: str = "GetGroupList", *, timestamp: int | None = None
          ) -> httpx.Response:
    headers = signed_headers(url.removeprefix("http://"), body, action, timestamp=timestamp)
    return httpx.post(url + "/", content=body, headers=headers)


def _error(response: httpx.Response) -> str:
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    payload = response.json()["Response"]
    assert payload["RequestId"]
    return str(payload["Error"]["Code"])


def test_a_correctly_signed_raw_request_is_answered(server_url: str) -> None:
    response = _post(server_url, b'{"Limit": 5}')
    assert response.headers["content-type"] == "application/json"
    assert response.json()["Response"]["GroupNum"] == 0


def test_the_sdk_with_a_wrong_key_gets_a_signature_failure(server_url: str) -> None:
    wrong = sdk_client(server_url, secret_key="NOTTHEKEY")
    assert error_code(wrong, "GetGroupList") == "AuthFailure.SignatureFailure"


def test_the_sdk_with_an_unknown_secret_id_gets_secret_id_not_found(server_url: str) -> None:
    stranger = sdk_client(server_url, secret_id="AKIDUNKNOWN")
    assert error_code(stranger, "GetGroupList") == "AuthFailure.SecretIdNotFound"


def test_a_clock_more_than_five_minutes_off_gets_signature_expire(make_server: Callable[..., str]) -> None:
    url = make_server(clock=lambda: time.time() + 301)
    assert error_code(sdk_client(url), "GetGroupList") == "AuthFailure.SignatureExpire"
    fine = make_server(clock=lambda: time.time() + 240)
    assert call(sdk_client(fine), "GetGroupList").GroupNum == 0


def test_a_tampered_body_gets_a_signature_failure(server_url: str) -> None:
    body = b'{"Limit": 5}'
    headers = signed_headers(server_url.removeprefix("http://"), body, "GetGroupList")
    response = httpx.post(server_url + "/", content=b'{"Limit": 6}', headers=headers)
    assert _error(response) == "AuthFailure.SignatureFailure"


def test_a_stale_raw_request_gets_signature_expire(server_url: str) -> None:
    assert _error(_post(server_url, b"{}", timestamp=int(time.time()) - 600)) == "AuthFailure.SignatureExpire"


def test_requests_over_the_rate_limit_get_request_limit_exceeded(make_server: Callable[..., str]) -> None:
    client = sdk_client(make_server(rate_limit=2.0))
    codes = []
    for _ in range(4):
        try:
            call(client, "GetGroupList")
            codes.append("ok")
        except TencentCloudSDKException as exc:
            codes.append(exc.code)
    assert codes[:2] == ["ok", "ok"]
    assert "RequestLimitExceeded" in codes[2:]


@pytest.mark.parametrize(
    ("body", "action", "code"),
    [
        (b"{not json", "GetGroupList", "InvalidParameter"),
        (b"[1, 2]", "GetGroupList", "InvalidParameter"),
        (b"\xff\xfe", "GetGroupList", "InvalidParameter"),
        (b"{}", "FormatDisk", "InvalidAction"),
        (b"{}", "", "MissingParameter"),
        (json.dumps({"GroupIds": [1, 2], "Image": "x"}).encode(), "SearchFaces", "InvalidParameter"),
        (b'{"PersonId": "%s"}' % (b"a" * 65), "DeletePerson", "InvalidParameterValue.PersonIdTooLong"),
    ],
    ids=["not-json", "not-object", "not-utf8", "unknown-action", "no-action", "wrong-types", "long-id"],
)
def test_malformed_requests_get_an_error_in_the_envelope(
    server_url: str, body: bytes, action: str, code: str
) -> None:
    assert _error(_post(server_url, body, action)) == code


def test_other_methods_versions_and_sizes_get_an_error_in_the_envelope(server_url: str) -> None:
    assert _error(httpx.get(server_url + "/anything")) == "UnsupportedProtocol"
    body = b"{}"
    headers = {**signed_headers(server_url.removeprefix("http://"), body, "GetGroupList"),
               "x-tc-version": "2017-03-12"}
    assert _error(httpx.post(server_url + "/", content=body, headers=headers)) == "NoSuchVersion"
    huge = b"x" * (11 * 1024 * 1024)
    assert _error(httpx.post(server_url + "/", content=huge)) == "RequestSizeLimitExceeded"
    assert _error(httpx.post(server_url + "/", content=b"{}")) == "AuthFailure.InvalidAuthorization"


BAD_PARAMS = [
    {},
    {"GroupId": 7, "GroupIds": {"a": 1}, "PersonId": ["x"], "Image": 12, "Images": "x", "Limit": None},
    {"GroupId": "", "GroupIds": [None], "PersonId": "", "Image": "", "ImageA": [], "FaceIds": [3]},
    {"MaxFaceNum": 1.5, "Offset": -1, "FaceMatchThreshold": "high", "QualityControl": True, "Url": 5},
]


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_no_action_fails_internally_on_wrong_parameters(server_url: str, action: str) -> None:
    for params in BAD_PARAMS:
        response = _post(server_url, json.dumps(params).encode(), action)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        answer = response.json()["Response"]
        assert answer["RequestId"]
        assert answer.get("Error", {}).get("Code") != "InternalError", (action, params)
