"""The document's quirks, on both sides: where parameters may come from and in which shapes,
what the answers look like, and credentials kept out of logs."""

from __future__ import annotations

import logging

import httpx
import pytest

from edge.identify.sensetime.client import SenseTimeClient
from edge.identify.sensetime.quirks import as_float, as_int, id_list, is_ok, rect_box
from edge.identify.sensetime.results import ImageInfo, Verification
from edge.vision.types import Box
from tests.sensetime.conftest import API_ID, API_SECRET, Emulator, photo

CREDENTIALS = {"api_id": API_ID, "api_secret": API_SECRET}


def test_readers_tolerate_strings_and_both_list_shapes() -> None:
    assert is_ok("OK") and is_ok("ok") and not is_ok("INVALID_ARGUMENT") and not is_ok(None)
    assert as_float("0.75") == 0.75 and as_float(None, 1.5) == 1.5 and as_int("3") == 3
    with pytest.raises(ValueError):
        as_int("2.5")
    assert id_list("a, b,,c") == ["a", "b", "c"] == id_list(["a", "b", "c"])
    assert rect_box({"left": "10", "top": "20", "right": "110", "bottom": "140"}) == Box(10, 20, 100, 120)
    info = ImageInfo.from_json({"image_id": "i", "width": "640", "height": "480", "faces": [
        {"face_id": "f", "rect": {"left": "1", "top": "2", "right": "3", "bottom": "4"},
         "landmarks21": [["1.5", "2.5"]]}]})
    assert info.width == 640 and info.faces[0].landmarks == ((1.5, 2.5),)
    objects = [{"x": 1.5, "y": "2.5"}, {"x": 3}]  # as later answers send them; a point without y is dropped
    later = ImageInfo.from_json({"faces": [{"face_id": "f", "landmarks21": objects}]})
    assert later.faces[0].landmarks == ((1.5, 2.5),)
    assert Verification.from_json({"confidence": "0.7", "same_person": "true"}) == Verification(0.7, True)


def test_parameters_from_a_json_body_with_arrays(emulator: Emulator, faces: dict[str, str]) -> None:
    face_ids = [faces["Joe_Biden/1"], faces["Joe_Biden/2"]]
    created = httpx.post(f"{emulator.url}/faceset/create",
                         json={**CREDENTIALS, "name": "json", "face_id": face_ids})
    assert created.status_code == 200 and created.json()["face_count"] == 2
    search = httpx.post(f"{emulator.url}/face/search",
                        json={**CREDENTIALS, "face_id": faces["Joe_Biden/1"], "top": "1",
                              "face_ids": [faces["Joe_Biden/2"], faces["Eileen_Collins/1"]]})
    assert [c["face_id"] for c in search.json()["candidates"]] == [faces["Joe_Biden/2"]]


def test_parameters_from_the_query_string_with_comma_lists(emulator: Emulator, faces: dict[str, str]) -> None:
    ids = f"{faces['Joe_Biden/1']},{faces['Eileen_Collins/1']}"
    search = httpx.post(f"{emulator.url}/face/search",
                        params={**CREDENTIALS, "face_id": faces["Joe_Biden/2"], "face_ids": ids, "top": "2"})
    assert search.status_code == 200
    assert search.json()["candidates"][0]["face_id"] == faces["Joe_Biden/1"]


def test_multipart_parts_are_told_apart_by_name_not_filename(emulator: Emulator) -> None:
    files = {"file": ("face.jpg", photo("Eileen_Collins/1"), "image/jpeg"),
             "api_id": ("id.txt", API_ID.encode(), "text/plain"),
             "api_secret": ("secret.txt", API_SECRET.encode(), "text/plain")}
    answer = httpx.post(f"{emulator.url}/face/detection", files=files)
    assert answer.status_code == 200 and len(answer.json()["faces"]) == 1


def test_info_answers_carry_rects_as_strings_and_detection_as_numbers(
    emulator: Emulator, faces: dict[str, str]
) -> None:
    face_id = faces["Eileen_Collins/1"]
    info = httpx.get(f"{emulator.url}/info/face", params={**CREDENTIALS, "face_id": face_id}).json()
    assert all(isinstance(v, str) for v in info["rect"].values())
    detected = httpx.post(f"{emulator.url}/face/detection", data=CREDENTIALS,
                          files={"file": ("f.jpg", photo("Eileen_Collins/1"), "image/jpeg")}).json()
    assert all(isinstance(v, int) for v in detected["faces"][0]["rect"].values())


def test_the_secret_never_reaches_the_clients_log(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with SenseTimeClient(API_ID, API_SECRET, base_url=emulator.url) as client:
        client.info_api()  # a GET: the credentials travel in the query string
        client.group_create("logged")  # an urlencoded POST: in the body, which the emulator reads
        client.detect(photo("Eileen_Collins/1"))  # a multipart POST: in the body too
    # (the emulator's own access log is off; pytest hooks into it anyway, so look at the client's)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith(("httpx", "httpcore", "edge"))]
    assert any(line.startswith("HTTP Request: GET") and "api_secret=%2A%2A%2A" in line for line in lines)
    posts = [line for line in lines if line.startswith("HTTP Request: POST")]
    assert len(posts) == 2 and not any("api_" in line for line in posts)  # never in a POST's URL
    assert not any(API_SECRET in line for line in lines)
