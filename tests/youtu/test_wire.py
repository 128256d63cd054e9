"""The emulator's wire: bodies as the SDKs send them, and every malformed request answered with its
documented code in the documented envelope (never a 500)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from edge.emulators.common import ServerThread
from edge.emulators.youtu.app import create_app
from edge.emulators.youtu.ratelimit import RateLimit
from edge.emulators.youtu.service import Limits, YoutuService
from edge.emulators.youtu.store import Store
from edge.errors import ConfigError
from edge.identify.youtu import errors
from edge.identify.youtu.client import YoutuClient
from edge.identify.youtu.signature import SignatureSource, SignatureVerifier, YoutuAuth, sign
from edge.vision.types import Box
from tests.youtu.conftest import APPID, SECRET_ID, SECRET_KEY, photo, running_emulator, youtu_config

OBAMA_1, BIDEN_2 = photo("Barack_Obama/1"), photo("Joe_Biden/2")


def authorization(appid: str = APPID) -> str:
    now = int(time.time())
    return sign(
        appid=appid, bucket="", secret_id=SECRET_ID, secret_key=SECRET_KEY, now=now, expiry=now + 600, rand=1
    )


@pytest.fixture(scope="module")
def http(server: ServerThread) -> Iterator[httpx.Client]:
    """Raw requests signed by the client's own httpx.Auth."""
    source = SignatureSource(appid=APPID, bucket="", secret_id=SECRET_ID, secret_key=SECRET_KEY, ttl_s=600)
    with httpx.Client(base_url=server.url, auth=YoutuAuth(source)) as client:
        yield client


def answer(response: httpx.Response) -> tuple[int, dict]:
    """The envelope's code and data, after checking the envelope's shape."""
    body = response.json()
    assert set(body) == {"code", "message", "data"} and isinstance(body["message"], str)
    return body["code"], body["data"]


@pytest.fixture(scope="module")
def image_host() -> Iterator[ServerThread]:
    """Serves fixture photos by URL (the JSON mode's ``url`` fields)."""

    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "obama.jpg":
            return Response(OBAMA_1, media_type="image/jpeg")
        if name == "biden.jpg":
            return Response(BIDEN_2, media_type="image/jpeg")
        return Response(status_code=404)

    with ServerThread(Starlette(routes=[Route("/{name}", serve)])) as running:
        yield running


def test_json_mode_downloads_url_images(client: YoutuClient, image_host: ServerThread) -> None:
    created = client.newperson("by-url", ["url-group"], f"{image_host.url}/obama.jpg")
    found = client.identify(["url-group"], f"{image_host.url}/obama.jpg")
    assert found.candidates[0].person_id == created.person_id
    added = client.addface("by-url", [f"{image_host.url}/biden.jpg"])
    assert added.added == 1
    compared = client.compare(f"{image_host.url}/obama.jpg", OBAMA_1)  # urlA with an upload imageB
    assert compared.similarity > 99


def test_url_that_cannot_be_downloaded_is_1308(http: httpx.Client, image_host: ServerThread) -> None:
    for url in (f"{image_host.url}/missing.jpg", "ftp://example/x.jpg", "http://127.0.0.1:9/x.jpg"):
        code, _ = answer(http.post("/face/identify", json={"appid": APPID, "group_id": "g", "url": url}))
        assert code == -1308


def test_multipart_text_parts_with_filenames_and_indexed_arrays(http: httpx.Client) -> None:
    files = [
        ("appid", ("appid.txt", APPID.encode(), "text/plain")),
        ("person_id", ("p.txt", b"sdk-style", "text/plain")),
        ("group_ids[1]", ("g1", b"sdk-b", "text/plain")),
        ("group_ids[0]", ("g0", b"sdk-a", "text/plain")),
        ("image", ("face.jpg", BIDEN_2, "image/jpeg")),
    ]
    code, data = answer(http.post("/face/newperson", files=files))
    assert code == 0 and data["group_ids"] == ["sdk-a", "sdk-b"]


def test_image_part_without_filename_and_the_documents_appid_spelling(http: httpx.Client) -> None:
    boundary = "xYzBoundary"
    parts = [(b'name="AppId"', APPID.encode()), (b'name="group_id"', b"sdk-a"), (b'name="image"', OBAMA_1)]
    body = b"".join(
        b"--"
        + boundary.encode()
        + b"\r\nContent-Disposition: form-data; "
        + head
        + b"\r\n\r\n"
        + value
        + b"\r\n"
        for head, value in parts
    )
    body += b"--" + boundary.encode() + b"--\r\n"
    response = http.post(
        "/face/identify", content=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    code, data = answer(response)
    assert code == 0 and data["candidates"][0]["person_id"] == "sdk-style"


GIF = b"GIF89a" + bytes([1, 0, 1, 0, 0, 0, 0]) + b"\x2c" + bytes(9) + b"\x02\x02\x44\x01\x00\x3b"
TRUNCATED_JPEG = OBAMA_1[: len(OBAMA_1) // 2]
CUT_SHORT = b'--x\r\nContent-Disposition: form-data; name="appid"\r\n\r\n1250'
NO_NAME = b"--x\r\nContent-Type: text/plain\r\n\r\nvalue\r\n--x--\r\n"


@pytest.mark.parametrize(
    ("request_kwargs", "code"),
    [
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, 3),
        ({"content": b"[1, 2]", "headers": {"Content-Type": "application/json"}}, 3),
        ({"content": b"[" * 100_000, "headers": {"Content-Type": "application/json"}}, 3),
        ({"content": b'{"appid": "\xff"}', "headers": {"Content-Type": "application/json"}}, 3),
        ({"content": b"appid=1", "headers": {"Content-Type": "text/plain"}}, 3),
        ({"content": b"--x\r\ngarbage", "headers": {"Content-Type": "multipart/form-data; boundary=x"}}, 3),
        ({"content": CUT_SHORT, "headers": {"Content-Type": "multipart/form-data; boundary=x"}}, 3),
        ({"content": NO_NAME, "headers": {"Content-Type": "multipart/form-data; boundary=x"}}, 3),
        ({"content": b"--x\r\n", "headers": {"Content-Type": "multipart/form-data"}}, 3),  # no boundary
        ({"json": {"person_id": "p"}}, -1301),  # no appid
        ({"json": {"appid": APPID}}, -1301),  # no person_id
        ({"json": {"appid": APPID, "person_id": ""}}, -1301),
        ({"json": {"appid": APPID, "person_id": {"id": 1}}}, 21),
        ({"json": {"appid": APPID, "person_id": True}}, 21),
        ({"json": {"appid": APPID, "person_id": "p" * 129}}, -1304),
        ({"json": {"appid": APPID, "person_id": "p", "group_ids": "staff"}}, 21),
        ({"json": {"appid": APPID, "person_id": "p", "group_ids": []}}, -1301),
        ({"json": {"appid": APPID, "person_id": "p", "group_ids": ["g"]}}, -1300),  # no image
        (
            {
                "files": {
                    "appid": (None, APPID),
                    "person_id": (None, "p"),
                    "group_ids[0]": (None, "g"),
                    "image": ("e.jpg", b"", "image/jpeg"),
                }
            },
            -1300,
        ),
        (
            {
                "files": {
                    "appid": (None, APPID),
                    "person_id": (None, "p"),
                    "group_ids[0]": (None, "g"),
                    "image": ("a.gif", GIF, "image/gif"),
                }
            },
            -1400,
        ),
        (
            {
                "files": {
                    "appid": (None, APPID),
                    "person_id": (None, "p"),
                    "group_ids[0]": (None, "g"),
                    "image": ("a.jpg", TRUNCATED_JPEG, "image/jpeg"),
                }
            },
            -1102,
        ),
        (
            {
                "files": {
                    "appid": (None, APPID),
                    "person_id": (None, "p"),
                    "group_ids[0]": (None, "g"),
                    "image": ("a.jpg", b"not an image at all", "image/jpeg"),
                }
            },
            -1102,
        ),
    ],
)
def test_malformed_requests_get_their_codes(http: httpx.Client, request_kwargs: dict, code: int) -> None:
    response = http.post("/face/newperson", **request_kwargs)
    assert response.status_code == 200
    assert answer(response)[0] == code


def test_oversized_bodies_are_refused_with_23(http: httpx.Client) -> None:
    big = b"\xff" * (Limits().max_body_bytes + 1)
    declared = http.post(
        "/face/newperson", files={"appid": (None, APPID), "image": ("a.jpg", big, "image/jpeg")}
    )
    assert answer(declared)[0] == 23

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted while reading
        yield b'{"appid": "' + APPID.encode() + b'", "url": "'
        for _ in range(20):
            yield b"x" * 100_000
        yield b'"}'

    streamed = http.post("/face/identify", content=chunked(), headers={"Content-Type": "application/json"})
    assert answer(streamed)[0] == 23


def test_signature_problems_over_http(server: ServerThread) -> None:
    body = {"appid": APPID}
    with httpx.Client(base_url=server.url) as bare:
        assert answer(bare.post("/face/getgroupids", json=body))[0] == 4
        assert answer(bare.post("/face/getgroupids", json=body, headers={"Authorization": "%%%"}))[0] == 5
        other_app = {"Authorization": authorization(appid="1250000001")}
        assert answer(bare.post("/face/getgroupids", json=body, headers=other_app))[0] == 10
        other_body = {"appid": "1250000001"}
        assert answer(bare.post("/face/getgroupids", json=other_body,
                                headers={"Authorization": authorization()}))[0] == 6
        now = int(time.time())
        forged = sign(
            appid=APPID, bucket="", secret_id=SECRET_ID, secret_key="guess", now=now, expiry=now + 60, rand=1
        )
        assert answer(bare.post("/face/getgroupids", json=body, headers={"Authorization": forged}))[0] == 14


def test_the_clients_signature_is_verified_by_the_emulator(server: ServerThread) -> None:
    """The client signs through its httpx.Auth; the emulator checks the HMAC with its key."""
    with YoutuClient(youtu_config(server.url)) as signed:
        assert isinstance(signed.getgroupids(), list)
    with YoutuClient(youtu_config(server.url, secret_key=SecretStr("guess"))) as forged, \
            pytest.raises(errors.YoutuAuthError) as refused:
        forged.getgroupids()
    assert refused.value.code == 14


def test_unknown_paths_and_methods_get_the_envelope(http: httpx.Client) -> None:
    unknown = http.post("/face/detectface", json={"appid": APPID})
    assert unknown.status_code == 404 and answer(unknown)[0] == 3
    wrong_method = http.get("/face/getgroupids")
    assert wrong_method.status_code == 405 and answer(wrong_method)[0] == 3
    elsewhere = http.post("/other", json={})
    assert elsewhere.status_code == 404 and answer(elsewhere)[0] == 3


class BrokenEngine:
    """A face engine that fails unexpectedly: the catch-all must still answer an envelope."""

    def find(self, image: bytes) -> list:
        raise RuntimeError("descriptor exploded")

    def score(self, cosine: float) -> float:
        return 0.0

    def score_for_far(self, far: float) -> float:
        return 0.0


def test_unexpected_failures_answer_213_not_a_traceback(tmp_path) -> None:  # noqa: ANN001
    with (
        running_emulator(BrokenEngine(), tmp_path, Limits()) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        response = http.post(
            "/face/compare",
            files={"appid": (None, APPID), "imageA": ("a.jpg", OBAMA_1), "imageB": ("b.jpg", OBAMA_1)},
            headers={"Authorization": authorization()},
        )
    assert response.status_code == 200 and answer(response) == (213, {})
    assert "exploded" not in response.text and "Traceback" not in response.text


def test_old_host_needs_a_bucket_which_is_then_sent(server: ServerThread) -> None:
    with pytest.raises(ConfigError, match="bucket"):
        YoutuClient(youtu_config("https://service.image.myqcloud.com"))
    with YoutuClient(youtu_config(server.url, bucket="tencentyun")) as with_bucket:
        assert isinstance(with_bucket.getgroupids(), list)


def test_face_rect_is_in_image_pixels(client: YoutuClient) -> None:
    canvas = np.full((600, 900, 3), 200, np.uint8)
    import cv2

    face = cv2.imdecode(np.frombuffer(BIDEN_2, np.uint8), cv2.IMREAD_COLOR)
    canvas[100:500, 450:850] = cv2.resize(face, (400, 400))
    client.newperson("rect-check", ["rects"], BIDEN_2)
    result = client.multidentify(["rects"], cv2.imencode(".jpg", canvas)[1].tobytes()).results
    assert len(result) == 1
    rect = result[0].face_rect
    assert Box(rect.x, rect.y, rect.width, rect.height).iou(Box(450 + 132, 100 + 84, 168, 168)) > 0.5


def test_frequency_control_answers_15_which_the_client_does_not_retry(tmp_path) -> None:  # noqa: ANN001
    store = Store(tmp_path / "youtu.sqlite")
    service = YoutuService(store, BrokenEngine(), Limits())
    app = create_app(service, SignatureVerifier(APPID, {SECRET_ID: SECRET_KEY}), RateLimit(per_second=2))
    with ServerThread(app) as server, YoutuClient(youtu_config(server.url)) as client:
        client.getgroupids()
        client.getgroupids()
        with pytest.raises(errors.YoutuRateLimited):
            client.getgroupids()
        time.sleep(0.6)  # refills one request's worth
        assert client.getgroupids() == []
    store.close()


ACTIONS = [
    "newperson",
    "delperson",
    "addface",
    "delface",
    "setinfo",
    "getinfo",
    "getgroupids",
    "getpersonids",
    "getfaceids",
    "getfaceinfo",
    "addgroupids",
    "delgroupids",
    "verify",
    "identify",
    "multidentify",
    "compare",
]
FIELDS = [
    "person_id",
    "group_ids",
    "group_id",
    "face_ids",
    "face_id",
    "person_name",
    "tag",
    "url",
    "urls",
    "urlA",
    "urlB",
    "session_id",
]


@pytest.mark.parametrize("junk", [None, 1.5, True, [], {}, [[1]], [""], "x" * 5000, -1])
def test_every_action_answers_junk_fields_with_a_documented_input_code(
    http: httpx.Client, junk: object
) -> None:
    for action in ACTIONS:
        response = http.post(f"/face/{action}", json={"appid": APPID, **dict.fromkeys(FIELDS, junk)})
        code, _ = answer(response)
        assert response.status_code == 200
        if action != "getgroupids":  # the one action without fields
            assert code in errors.MESSAGES and code != 213, (action, code)
