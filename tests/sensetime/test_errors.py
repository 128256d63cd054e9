"""Every documented error: the emulator answers it with the documented status and reason, and
the client raises its typed error. Malformed requests never crash the server."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edge.emulators.common import ServerThread
from edge.emulators.sensetime.app import create_app
from edge.emulators.sensetime.engine import SeenFace
from edge.emulators.sensetime.settings import DEFAULT_QUOTA, EmulatorSettings
from edge.errors import BackendUnavailable
from edge.identify.sensetime.client import SenseTimeClient
from edge.identify.sensetime.errors import (
    STATUSES,
    AuthError,
    ImageError,
    InternalError,
    InvalidArgument,
    InvalidId,
    NotFound,
    QuotaExceeded,
    SenseTimeError,
)
from tests.sensetime.conftest import API_ID, API_SECRET, Emulator, photo

CREDENTIALS = {"api_id": API_ID, "api_secret": API_SECRET}
UNKNOWN = "0" * 32


def png(width: int, height: int, noise: bool = False) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), np.uint8) if noise else \
        np.full((height, width, 3), 128, np.uint8)
    return cv2.imencode(".png", pixels)[1].tobytes()


def post(emulator: Emulator, path: str, **fields: Any) -> httpx.Response:
    return httpx.post(f"{emulator.url}{path}", data={**CREDENTIALS, **fields}, timeout=30)


def assert_error(response: httpx.Response, http_status: int, status: str, reason_part: str = "") -> None:
    assert response.status_code == http_status, response.text
    body = response.json()
    assert body["status"] == status
    assert reason_part in body["reason"]
    assert "X-RateLimit-Remaining" in response.headers


# ---- credentials, paths --------------------------------------------------------------------

def test_bad_or_missing_credentials_are_401(emulator: Emulator) -> None:
    assert_error(httpx.get(f"{emulator.url}/info/api", params={"api_id": API_ID, "api_secret": "x"}),
                 401, "UNAUTHORIZED")
    assert_error(httpx.post(f"{emulator.url}/info/api"), 401, "UNAUTHORIZED")
    with SenseTimeClient(API_ID, "wrong", base_url=emulator.url) as client:
        for call in (client.info_api, lambda: client.group_create("g"),
                     lambda: client.detect(photo("Eileen_Collins/1"))):  # GET, form and multipart POST
            with pytest.raises(AuthError):
                call()


def test_unknown_paths_and_methods_are_404(emulator: Emulator, client: SenseTimeClient) -> None:
    assert_error(httpx.get(f"{emulator.url}/face/detect", params=CREDENTIALS), 404, "NOT_FOUND")
    assert_error(httpx.get(f"{emulator.url}/person/create", params=CREDENTIALS), 404, "NOT_FOUND")
    with pytest.raises(NotFound):
        client._call("POST", "/face/compare")


# ---- malformed requests ----------------------------------------------------------------------

def test_detection_without_file_or_url(emulator: Emulator) -> None:
    assert_error(post(emulator, "/face/detection"), 400, "INVALID_ARGUMENT", "file or url")


def test_broken_multipart_bodies(emulator: Emulator) -> None:
    url = f"{emulator.url}/face/detection"
    no_boundary = httpx.post(url, params=CREDENTIALS, content=b"--x\r\n",
                             headers={"content-type": "multipart/form-data"})
    assert_error(no_boundary, 400, "INVALID_ARGUMENT", "malformed")
    cut = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\n"
           + photo("Barack_Obama/1")[:500])
    truncated = httpx.post(url, params=CREDENTIALS, content=cut,
                           headers={"content-type": "multipart/form-data; boundary=b"})
    assert truncated.status_code == 400
    assert truncated.json()["status"] in ("INVALID_ARGUMENT", "CORRUPT_IMAGE")


def test_bad_json_bodies(emulator: Emulator) -> None:
    url = f"{emulator.url}/face/identification"
    json_header = {"content-type": "application/json"}
    assert_error(httpx.post(url, params=CREDENTIALS, content=b"{not json", headers=json_header),
                 400, "INVALID_ARGUMENT", "JSON")
    assert_error(httpx.post(url, params=CREDENTIALS, json=[1, 2]), 400, "INVALID_ARGUMENT", "object")


@pytest.mark.parametrize("top", ["0", "6", "abc", "2.5"])
def test_identification_top_out_of_range(emulator: Emulator, faces: dict[str, str], top: str) -> None:
    group = post(emulator, "/group/create", name="g").json()["group_id"]
    answer = post(emulator, "/face/identification", face_id=faces["Barack_Obama/1"], group_id=group, top=top)
    assert_error(answer, 400, "INVALID_ARGUMENT", "top must be an integer from 1 to 5")


def test_search_top_out_of_range(emulator: Emulator, faces: dict[str, str]) -> None:
    answer = post(emulator, "/face/search", face_id=faces["Barack_Obama/1"],
                  face_ids=faces["Joe_Biden/1"], top="11")
    assert_error(answer, 400, "INVALID_ARGUMENT", "top must be an integer from 1 to 10")


def test_arguments_that_exclude_or_need_each_other(emulator: Emulator, faces: dict[str, str]) -> None:
    face = faces["Barack_Obama/1"]
    assert_error(post(emulator, "/face/verification", face_id=face), 400, "INVALID_ARGUMENT", "exactly one")
    assert_error(post(emulator, "/face/verification", face_id=face, face2_id=face, person_id=UNKNOWN),
                 400, "INVALID_ARGUMENT", "exactly one")
    assert_error(post(emulator, "/face/search", face_id=face), 400, "INVALID_ARGUMENT",
                 "missing argument: face_ids")
    assert_error(post(emulator, "/face/training"), 400, "INVALID_ARGUMENT", "at least one")
    assert_error(post(emulator, "/person/create"), 400, "INVALID_ARGUMENT", "missing argument: name")
    person = post(emulator, "/person/create", name="p").json()["person_id"]
    assert_error(post(emulator, "/person/change", person_id=person), 400, "INVALID_ARGUMENT",
                 "name or user_data")
    assert_error(post(emulator, "/face/identification", group_id=UNKNOWN), 400, "INVALID_ARGUMENT",
                 "missing argument: face_id")


def test_no_endpoint_crashes_on_an_empty_request(emulator: Emulator) -> None:
    paths = ["/info/task", "/info/image", "/info/face", "/info/person", "/info/group", "/info/faceset",
             "/face/detection", "/face/verification", "/face/search", "/face/identification",
             "/face/training", "/person/create", "/person/delete", "/person/add_face",
             "/person/remove_face", "/person/change", "/group/create", "/group/delete",
             "/group/add_person", "/group/remove_person", "/group/change", "/faceset/create",
             "/faceset/delete", "/faceset/add_face", "/faceset/remove_face", "/faceset/change"]
    for path in paths:
        answer = post(emulator, path)
        assert answer.status_code == 400, path
        assert answer.json()["status"] == "INVALID_ARGUMENT" and answer.json()["reason"], path


# ---- unknown and expired ids ---------------------------------------------------------------

@pytest.mark.parametrize(("path", "field", "status"), [
    ("/info/face", "face_id", "INVALID_FACE"),
    ("/info/image", "image_id", "INVALID_IMAGE"),
    ("/info/person", "person_id", "INVALID_PERSON"),
    ("/info/group", "group_id", "INVALID_GROUP"),
    ("/info/faceset", "faceset_id", "INVALID_FACESET"),
    ("/info/task", "task_id", "INVALID_TASK"),
])
def test_unknown_ids(emulator: Emulator, path: str, field: str, status: str) -> None:
    assert_error(post(emulator, path, **{field: UNKNOWN}), 400, status, "not found")


def test_an_addition_with_one_invalid_id_adds_nothing(emulator: Emulator, client: SenseTimeClient) -> None:
    person = client.person_create("a")
    group = client.group_create("all or nothing")
    with pytest.raises(InvalidId) as error:
        client.group_add_person(group, [person, UNKNOWN])
    assert error.value.status == "INVALID_PERSON"
    assert client.info_group(group).person_ids == ()


def test_a_face_added_to_a_person_moves_from_its_owner(emulator: Emulator, client: SenseTimeClient,
                                                       faces: dict[str, str]) -> None:
    face = faces["Joe_Biden/2"]
    owner, person = client.person_create("owner", [face]), client.person_create("b")
    added = post(emulator, "/person/add_face", person_id=person, face_id=face).json()
    assert (added["added_count"], added["face_count"]) == (1, 1)
    assert client.info_person(owner).face_ids == ()
    assert client.info_person(person).face_ids == (face,)


def test_a_removal_skips_what_is_not_there(emulator: Emulator, client: SenseTimeClient,
                                           faces: dict[str, str]) -> None:
    kept, gone = faces["Barack_Obama/3"], faces["Barack_Obama/4"]
    person = client.person_create("c", [kept, gone])
    removed = post(emulator, "/person/remove_face", person_id=person, face_id=f"{gone},{UNKNOWN}").json()
    assert (removed["status"], removed["removed_count"], removed["face_count"]) == ("OK", 1, 1)
    assert client.info_person(person).face_ids == (kept,)
    group = client.group_create("d", [person])
    removed = post(emulator, "/group/remove_person", group_id=group, person_id=f"{UNKNOWN},{person}").json()
    assert (removed["removed_count"], removed["person_count"], removed["name"]) == (1, 0, "d")


def test_face_ids_are_valid_five_days_then_can_only_be_removed(start_emulator: Callable[..., Any]) -> None:
    """Seed 004: 5 days' validity, then removal only; the person keeps what it holds until then."""
    with start_emulator() as emulator, emulator.client() as client:
        loose, kept, in_set = (client.detect(photo(n)).faces[0].face_id
                               for n in ("Barack_Obama/1", "Barack_Obama/2", "Joe_Biden/1"))
        person = client.person_create("kept", [kept])
        faceset = client.faceset_create("set", [in_set])
        emulator.clock.advance(5 * 86400 - 60)
        assert client.info_face(loose).face.face_id == loose
        emulator.clock.advance(120)
        for expired in (loose, kept, in_set):
            with pytest.raises(InvalidId, match="expired") as error:
                client.verify_faces(expired, expired)
            assert error.value.status == "INVALID_FACE"
        with pytest.raises(InvalidId, match="expired"):
            client.person_create("again", [kept])
        fresh = client.detect(photo("Barack_Obama/3")).faces[0].face_id
        client.train(person_ids=[person])
        assert client.verify_person(fresh, person).same_person  # the held face still counts
        client.person_remove_face(person, [kept])
        client.faceset_remove_face(faceset, [in_set])
        assert not client.info_person(person).face_ids and not client.info_faceset(faceset).face_ids


# ---- images ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "status", "reason"), [
    (b"this is not an image", "CORRUPT_IMAGE", "not an image"),
    (photo("Barack_Obama/1")[:4000], "CORRUPT_IMAGE", "truncated"),
    (png(8, 64), "INVALID_IMAGE_FORMAT_OR_SIZE", "8x64"),
    (png(4001, 16), "INVALID_IMAGE_FORMAT_OR_SIZE", "4001x16"),
])
def test_unusable_images(client: SenseTimeClient, data: bytes, status: str, reason: str) -> None:
    with pytest.raises(ImageError) as error:
        client.detect(data)
    assert (error.value.status, error.value.http_status) == (status, 400)
    assert reason in error.value.reason


def test_images_over_5_mb_are_refused(emulator: Emulator, client: SenseTimeClient) -> None:
    big = png(1800, 1100, noise=True)
    assert 5 * 1024 * 1024 < len(big) < 8 * 1024 * 1024
    with pytest.raises(ImageError) as error:
        client.detect(big)
    assert (error.value.status, error.value.http_status) == ("IMAGE_FILE_SIZE_TOO_BIG", 400)
    huge = httpx.post(f"{emulator.url}/face/detection", params=CREDENTIALS, content=b"0" * (9 << 20),
                      headers={"content-type": "multipart/form-data; boundary=b"})
    assert_error(huge, 400, "IMAGE_FILE_SIZE_TOO_BIG")


@pytest.fixture(scope="module")
def slow_photo_server() -> Iterator[str]:
    async def slow(request: Request) -> Response:
        await asyncio.sleep(1.0)
        return Response(photo("Joe_Biden/1"), media_type="image/jpeg")

    async def missing(request: Request) -> Response:
        return Response("gone", status_code=404)

    app = Starlette(routes=[Route("/slow.jpg", slow), Route("/missing.jpg", missing)])
    with ServerThread(app) as server:
        yield server.url


def test_downloads_that_fail(start_emulator: Callable[..., Any], slow_photo_server: str) -> None:
    with start_emulator(download_timeout_s=0.3) as emulator:
        assert_error(post(emulator, "/face/detection", url=f"{slow_photo_server}/slow.jpg"),
                     400, "DOWNLOAD_TIMEOUT")
        assert_error(post(emulator, "/face/detection", url=f"{slow_photo_server}/missing.jpg"),
                     400, "DOWNLOAD_ERROR", "404")
        assert_error(post(emulator, "/face/detection", url="http://127.0.0.1:9/x.jpg"), 400, "DOWNLOAD_ERROR")
        assert_error(post(emulator, "/face/detection", url="ftp://host/x.jpg"), 400, "INVALID_ARGUMENT")


# ---- quotas ----------------------------------------------------------------------------------

def test_quotas_from_configuration(start_emulator: Callable[..., Any]) -> None:
    quota = {**DEFAULT_QUOTA, "persons": 1, "calls": 4}
    with start_emulator(quota=quota) as emulator, emulator.client() as client:
        client.person_create("first")
        with pytest.raises(QuotaExceeded) as error:
            client.person_create("second")
        assert (error.value.status, error.value.http_status) == ("QUOTA_EXCEEDED", 400)
        assert isinstance(error.value, BackendUnavailable)
        info = client.info_api()
        assert info.quota["persons"] == 1 and info.usage["persons"] == 1
        client.list_persons()
        with pytest.raises(QuotaExceeded, match="calls"):
            client.list_groups()


# ---- the client's reading of every documented status ---------------------------------------

@pytest.fixture(scope="module")
def scripted() -> Iterator[str]:
    """A server that answers ``/<http status>/<STATUS>`` with that error (or a bare body)."""

    async def answer(request: Request) -> Response:
        code, status = int(request.path_params["code"]), request.path_params["status"]
        if status == "-":
            return Response("<html>bad gateway</html>", status_code=code, media_type="text/html")
        return JSONResponse({"status": status, "reason": f"scripted {status}"}, code)

    with ServerThread(Starlette(routes=[Route("/{code}/{status}", answer, methods=["POST"])])) as server:
        yield server.url


@pytest.mark.parametrize("status", sorted(STATUSES))
def test_every_documented_status_is_a_typed_error(scripted: str, status: str) -> None:
    cls, http_status = STATUSES[status].error, STATUSES[status].http_status
    with SenseTimeClient(API_ID, API_SECRET, base_url=scripted, timeout_s=0.5) as client, \
            pytest.raises(SenseTimeError) as error:
        client._call("POST", f"/{http_status}/{status}")
    assert type(error.value) is cls
    assert (error.value.status, error.value.http_status) == (status, http_status)
    assert error.value.reason == f"scripted {status}"


@pytest.mark.parametrize(("code", "cls", "status"), [
    (502, InternalError, "INTERNAL_ERROR"), (404, NotFound, "NOT_FOUND"),
    (413, ImageError, "IMAGE_FILE_SIZE_TOO_BIG"), (400, InvalidArgument, "INVALID_ARGUMENT"),
])
def test_bodies_without_json_are_read_from_the_http_status(
    scripted: str, code: int, cls: type[SenseTimeError], status: str
) -> None:
    with SenseTimeClient(API_ID, API_SECRET, base_url=scripted) as client, pytest.raises(cls) as error:
        client._call("POST", f"/{code}/-")
    assert error.value.status == status


def test_an_unreachable_server_is_backend_unavailable() -> None:
    with SenseTimeClient(API_ID, API_SECRET, base_url="http://127.0.0.1:9", timeout_s=1.0) as client, \
            pytest.raises(BackendUnavailable):
        client.info_api()


class FailingEngine:
    """Fault injection: the vision core breaks down mid-request."""

    def faces(self, image_bgr: np.ndarray) -> list[SeenFace]:
        raise RuntimeError("onnxruntime session lost")

    def confidence(self, cosine: float) -> float:
        return cosine


def test_an_internal_fault_is_a_500_internal_error_and_the_server_keeps_serving(tmp_path: Path) -> None:
    settings = EmulatorSettings(API_ID, API_SECRET, tmp_path)
    with ServerThread(create_app(settings, FailingEngine())) as server, \
            SenseTimeClient(API_ID, API_SECRET, base_url=server.url) as client:
        answer = httpx.post(f"{server.url}/face/detection", data=CREDENTIALS,
                            files={"file": ("a.jpg", photo("Joe_Biden/1"), "image/jpeg")})
        assert answer.status_code == 500
        assert answer.json() == {"status": "INTERNAL_ERROR", "reason": "internal error"}
        assert "Traceback" not in answer.text and "onnxruntime" not in answer.text
        with pytest.raises(InternalError):
            client.detect(photo("Joe_Biden/1"))
        assert client.info_api().api_id == API_ID


# ---- seed 004 rules: empty targets, echoed ids, faceset precedence, expiry --------------------

def test_empty_person_group_and_faceset(emulator: Emulator, client: SenseTimeClient,
                                        faces: dict[str, str]) -> None:
    face = faces["Eileen_Collins/1"]
    person = client.person_create("nobody's face")
    assert_error(post(emulator, "/face/verification", face_id=face, person_id=person), 400, "EMPTY_PERSON")
    group = client.group_create("empty", [person])
    assert_error(post(emulator, "/face/identification", face_id=face, group_id=group), 400, "EMPTY_GROUP")
    faceset = client.faceset_create("empty")
    assert_error(post(emulator, "/face/search", face_id=face, faceset_id=faceset), 400, "EMPTY_FACESET")


def test_answers_echo_the_ids_asked_about(emulator: Emulator, client: SenseTimeClient,
                                          faces: dict[str, str]) -> None:
    a, b = faces["Joe_Biden/1"], faces["Barack_Obama/2"]
    verified = post(emulator, "/face/verification", face_id=a, face2_id=b).json()
    assert (verified["face_id"], verified["face2_id"]) == (a, b)
    assert_error(post(emulator, "/face/verification", face_id=a, face2_id=UNKNOWN), 400, "INVALID_FACE2")
    person = client.person_create("echo", [b])
    group = client.group_create("echo", [person])
    client.train(group_ids=[group])
    identified = post(emulator, "/face/identification", face_id=a, group_id=group).json()
    assert (identified["face_id"], identified["group_id"]) == (a, group)


def test_with_both_face_ids_and_a_faceset_the_faceset_wins(emulator: Emulator, client: SenseTimeClient,
                                                           faces: dict[str, str]) -> None:
    probe, in_set = faces["Joe_Biden/1"], faces["Joe_Biden/2"]
    faceset = client.faceset_create("wins", [in_set])
    client.train(faceset_ids=[faceset])
    answer = post(emulator, "/face/search", face_id=probe, face_ids=faces["Barack_Obama/1"],
                  faceset_id=faceset)
    assert answer.status_code == 200, answer.text
    assert [c["face_id"] for c in answer.json()["candidates"]] == [in_set]
    assert answer.json()["faceset_id"] == faceset


def test_faces_per_faceset_is_a_quota(start_emulator: Callable[..., Any]) -> None:
    with start_emulator(quota={**DEFAULT_QUOTA, "faces_per_faceset": 1}) as emulator, \
            emulator.client() as client:
        a, b = (client.detect(photo(n)).faces[0].face_id for n in ("Barack_Obama/1", "Joe_Biden/1"))
        faceset = client.faceset_create("one", [a])
        assert_error(post(emulator, "/faceset/add_face", faceset_id=faceset, face_id=b),
                     400, "QUOTA_EXCEEDED")
        assert client.info_api().quota["faces_per_faceset"] == 1


def test_image_ids_expire_after_five_days(start_emulator: Callable[..., Any]) -> None:
    with start_emulator() as emulator, emulator.client() as client:
        image_id = client.detect(photo("Joe_Biden/1")).image_id
        assert post(emulator, "/info/image", image_id=image_id).status_code == 200
        emulator.clock.advance(5 * 86400 + 60)
        assert_error(post(emulator, "/info/image", image_id=image_id), 400, "INVALID_IMAGE", "expired")


def test_detection_reports_the_exif_orientation_when_asked(emulator: Emulator) -> None:
    image = Image.open(io.BytesIO(photo("Joe_Biden/1")))
    exif = image.getexif()
    exif[0x0112] = 6  # rotated 90 degrees clockwise
    turned = io.BytesIO()
    image.save(turned, "JPEG", exif=exif)
    files = {"file": ("a.jpg", turned.getvalue(), "image/jpeg")}
    asked = httpx.post(f"{emulator.url}/face/detection", data={**CREDENTIALS, "exif_orientation": "true"},
                       files=files).json()
    assert asked["exif_orientation"] == 6
    plain = httpx.post(f"{emulator.url}/face/detection", data=CREDENTIALS, files=files).json()
    assert "exif_orientation" not in plain
