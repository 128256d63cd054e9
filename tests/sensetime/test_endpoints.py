"""Every endpoint of the document, client against emulator over real HTTP on loopback."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.staticfiles import StaticFiles

from edge.emulators.common import ServerThread
from edge.identify.sensetime.client import SenseTimeClient
from edge.identify.sensetime.errors import InvalidId
from tests.sensetime.conftest import API_ID, API_SECRET, FACES, Emulator, photo

HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module")
def photo_server() -> Iterator[str]:
    """The fixture photos on their own loopback HTTP server (for detection by url)."""
    app = Starlette()
    app.mount("/faces", StaticFiles(directory=FACES))
    with ServerThread(app) as server:
        yield server.url


def test_info_api_reports_rate_limit_quota_and_usage(client: SenseTimeClient) -> None:
    info = client.info_api()
    assert info.api_id == API_ID
    assert info.rate_limit == "1000q/1s"
    assert info.quota["persons"] == 10_000 and info.quota["faces_per_person"] == 20
    assert info.usage["calls"] >= 1 and info.usage["persons"] == 0


def test_detection_of_an_upload(client: SenseTimeClient) -> None:
    image = client.detect(photo("Barack_Obama/1"), user_data="door-1")
    assert HEX32.fullmatch(image.image_id)
    assert (image.width, image.height) == (640, 800)
    (face,) = image.faces
    assert HEX32.fullmatch(face.face_id)
    assert 200 < face.box.x < 300 and 150 < face.box.w < 250  # the face in the portrait
    assert 50 < face.eye_dist < 120


def test_detection_of_a_url(client: SenseTimeClient, photo_server: str) -> None:
    image = client.detect(url=f"{photo_server}/faces/Joe_Biden/1.jpg")
    assert (image.width, image.height) == (352, 800)
    assert len(image.faces) == 1


def test_info_image_and_info_face_read_back_the_detection(client: SenseTimeClient) -> None:
    detected = client.detect(photo("Eileen_Collins/1"))
    (face,) = detected.faces
    image = client.info_image(detected.image_id, with_faces=True)
    assert image.faces == detected.faces  # /info gives rect values as strings: read as numbers
    assert client.info_image(detected.image_id).faces == ()
    info = client.info_face(face.face_id, with_image=True)
    assert info.face == face and info.image_id == detected.image_id and info.person_id is None
    assert info.image is not None and (info.image.width, info.image.height) == (512, 512)


def test_verification_face_to_face(client: SenseTimeClient, faces: dict[str, str]) -> None:
    same = client.verify_faces(faces["Barack_Obama/1"], faces["Barack_Obama/2"])
    other = client.verify_faces(faces["Barack_Obama/1"], faces["Eileen_Collins/1"])
    assert same.same_person and same.confidence > 0.6
    assert not other.same_person and other.confidence < same.confidence


def test_persons_groups_and_identification(client: SenseTimeClient, faces: dict[str, str]) -> None:
    obama = client.person_create("Barack Obama", [faces["Barack_Obama/1"]], user_data="p-1")
    collins = client.person_create("Eileen Collins", [faces["Eileen_Collins/1"]])
    client.person_add_face(obama, [faces["Barack_Obama/2"]])
    group = client.group_create("front door", [obama])
    client.group_add_person(group, [collins])

    person = client.info_person(obama)
    assert person.name == "Barack Obama" and person.user_data == "p-1"
    assert set(person.face_ids) == {faces["Barack_Obama/1"], faces["Barack_Obama/2"]}
    assert client.info_face(faces["Barack_Obama/1"]).person_id == obama
    assert client.info_group(group).person_ids == (obama, collins)
    assert {p.person_id for p in client.list_persons()} >= {obama, collins}
    assert group in {g.group_id for g in client.list_groups()}

    (best, *_) = client.identify(faces["Barack_Obama/3"], group, top=2)  # untrained: 202, polled
    assert (best.person_id, best.name) == (obama, "Barack Obama") and best.confidence > 0.6
    # only candidates above 0.6 come back, however many are asked for
    assert [c.person_id for c in client.identify(faces["Barack_Obama/4"], group, top=5)] == [obama]

    client.person_remove_face(obama, [faces["Barack_Obama/2"]])
    assert client.info_person(obama).face_ids == (faces["Barack_Obama/1"],)
    client.person_change(obama, name="B. Obama", user_data="p-1b")
    assert client.info_person(obama).name == "B. Obama"
    client.group_change(group, name="main door")
    assert client.info_group(group).name == "main door"
    client.group_remove_person(group, [collins])
    assert client.info_group(group).person_ids == (obama,)

    assert client.verify_person(faces["Barack_Obama/3"], obama).same_person  # untrained: 202
    assert not client.verify_person(faces["Joe_Biden/1"], obama).same_person

    client.person_delete(collins)
    with pytest.raises(InvalidId):
        client.info_person(collins)
    assert client.info_face(faces["Eileen_Collins/1"]).person_id is None
    client.group_delete(group)
    assert group not in {g.group_id for g in client.list_groups()}


def test_search_among_face_ids_and_in_a_faceset(client: SenseTimeClient, faces: dict[str, str]) -> None:
    among = [faces["Joe_Biden/1"], faces["Barack_Obama/2"], faces["Eileen_Collins/1"]]
    hits = client.search(faces["Barack_Obama/3"], face_ids=among, top=2)
    assert [h.face_id for h in hits][0] == faces["Barack_Obama/2"] and len(hits) == 2
    assert hits[0].confidence >= hits[1].confidence

    faceset = client.faceset_create("visitors", among[:2], user_data="v")
    client.faceset_add_face(faceset, [faces["Eileen_Collins/1"]])
    hits = client.search(faces["Barack_Obama/3"], faceset_id=faceset)  # untrained: 202, polled
    assert hits[0].face_id == faces["Barack_Obama/2"] and len(hits) == 3

    client.faceset_remove_face(faceset, [faces["Joe_Biden/1"]])
    client.faceset_change(faceset, name="guests")
    info = client.info_faceset(faceset)
    assert info.name == "guests"
    assert set(info.face_ids) == {faces["Barack_Obama/2"], faces["Eileen_Collins/1"]}
    assert faceset in {f.faceset_id for f in client.list_facesets()}
    client.faceset_delete(faceset)
    assert faceset not in {f.faceset_id for f in client.list_facesets()}


def test_training_answers_ok_and_makes_identification_synchronous(
    emulator: Emulator, client: SenseTimeClient, faces: dict[str, str]
) -> None:
    person = client.person_create("Joe Biden", [faces["Joe_Biden/1"]])
    group = client.group_create("side door", [person])
    client.train(group_ids=[group], person_ids=[person], face_ids=[faces["Joe_Biden/2"]])
    credentials = {"api_id": API_ID, "api_secret": API_SECRET}
    trained = httpx.post(f"{emulator.url}/face/training", data={**credentials, "group_id": group})
    assert trained.json() == {"status": "ok"}  # the document's lower-case training answer
    answer = httpx.post(f"{emulator.url}/face/identification",
                        data={**credentials, "face_id": faces["Joe_Biden/2"], "group_id": group})
    assert answer.status_code == 200
    assert [c["person_id"] for c in answer.json()["candidates"]] == [person]


def test_state_persists_across_restarts(start_emulator: Callable[..., Any], tmp_path: Path) -> None:
    with start_emulator(data_dir=tmp_path) as first, first.client() as client:
        (face,) = client.detect(photo("Barack_Obama/1")).faces
        person = client.person_create("Barack Obama", [face.face_id])
    with start_emulator(data_dir=tmp_path) as second, second.client() as client:
        assert client.info_person(person).face_ids == (face.face_id,)
