"""The SenseTime backend and enroller against the emulator: real frames, real faces, real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from pydantic import SecretStr

from edge.errors import BackendUnavailable, BadInput, ConfigError
from edge.identify.base import Backend, Enroller
from edge.identify.sensetime.backend import SenseTimeBackend, match_faces
from edge.identify.sensetime.config import SenseTimeBackendConfig
from edge.identify.sensetime.errors import InvalidId
from edge.identify.sensetime.results import DetectedFace
from edge.vision.config import VisionSettings
from edge.vision.image_io import read_image
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Box, Face
from tests.sensetime.conftest import API_ID, API_SECRET, FACES, Emulator, photo

Enrolled = tuple[SenseTimeBackend, dict[str, str]]


def config(url: str, **overrides: object) -> SenseTimeBackendConfig:
    fields = {"base_url": url, "api_id": API_ID, "api_secret": SecretStr(API_SECRET),
              "group_id": "front door", "poll_interval_s": 0.05, **overrides}
    return SenseTimeBackendConfig.model_validate(fields)


@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer(VisionSettings())


def frame(analyzer: FaceAnalyzer, name: str) -> tuple[np.ndarray, list[Face]]:
    image = read_image(FACES / f"{name}.jpg", max_pixels=VisionSettings().max_image_pixels)
    return image, analyzer.analyze(image)


@pytest.fixture(scope="module")
def enrolled(emulator: Emulator) -> Iterator[Enrolled]:
    backend = SenseTimeBackend(config(emulator.url))
    enroller: Enroller = backend  # mypy checks the protocol
    ids = {
        "obama": enroller.create_person("p-obama", "Barack Obama", ["front door"], photo("Barack_Obama/1")),
        "collins": enroller.create_person("p-collins", "Eileen Collins", ["front door", "lab"],
                                         photo("Eileen_Collins/1")),
    }
    backend.add_face(ids["obama"], photo("Barack_Obama/2"))
    yield backend, ids
    backend.client.close()


def test_enrollment_creates_persons_in_named_groups(enrolled: Enrolled) -> None:
    backend, ids = enrolled
    assert set(backend.list_persons(["front door"])) == {ids["obama"], ids["collins"]}
    assert backend.list_persons(["lab", "no such group"]) == [ids["collins"]]
    person = backend.client.info_person(ids["obama"])
    assert person.user_data == "p-obama" and len(person.face_ids) == 2


@pytest.mark.parametrize("upload", ["frame", "crops"])
def test_identify_names_the_enrolled_person(
    emulator: Emulator, enrolled: Enrolled, analyzer: FaceAnalyzer, upload: str
) -> None:
    _, ids = enrolled
    backend: Backend = SenseTimeBackend(config(emulator.url, upload=upload))  # mypy checks the protocol
    image, faces = frame(analyzer, "Barack_Obama/3")
    (result,) = backend.identify(image, faces, deadline_s=5.0)
    assert (result.backend, result.scale) == ("sensetime", "0-1")
    assert result.best is not None and result.best.person_id == ids["obama"]
    assert result.best.name == "Barack Obama"
    assert result.best.score >= backend.threshold(1e-4, 2).score


def test_a_stranger_gets_no_candidate(
    enrolled: Enrolled, analyzer: FaceAnalyzer
) -> None:
    backend, _ = enrolled
    image, faces = frame(analyzer, "Joe_Biden/2")
    (result,) = backend.identify(image, faces, deadline_s=5.0)
    assert result.candidates == ()


def test_no_faces_no_call_and_a_passed_deadline_is_unavailable(
    enrolled: Enrolled, analyzer: FaceAnalyzer
) -> None:
    backend, _ = enrolled
    image, faces = frame(analyzer, "Barack_Obama/3")
    assert backend.identify(image, [], deadline_s=0.0) == []
    with pytest.raises(BackendUnavailable):
        backend.identify(image, faces, deadline_s=0.0)


def test_an_unknown_door_group_is_the_apis_invalid_group_id(
    emulator: Emulator, enrolled: Enrolled, analyzer: FaceAnalyzer
) -> None:
    backend = SenseTimeBackend(config(emulator.url, group_id="no such door"))
    image, faces = frame(analyzer, "Barack_Obama/3")
    with pytest.raises(InvalidId) as error:
        backend.identify(image, faces, deadline_s=5.0)
    assert error.value.status == "INVALID_GROUP"


def test_enrolling_an_image_without_a_face(enrolled: Enrolled) -> None:
    backend, _ = enrolled
    blank = cv2.imencode(".jpg", np.full((200, 200, 3), 90, np.uint8))[1].tobytes()
    with pytest.raises(BadInput, match="no face"):
        backend.create_person("p-x", "Nobody", ["front door"], blank)


def test_delete_person(emulator: Emulator, enrolled: Enrolled) -> None:
    backend, _ = enrolled
    person = backend.create_person("p-biden", "Joe Biden", ["garage"], photo("Joe_Biden/1"))
    assert backend.list_persons(["garage"]) == [person]
    backend.delete_person(person)
    assert backend.list_persons(["garage"]) == []


def test_threshold_from_the_documented_table() -> None:
    backend = SenseTimeBackend(config("http://127.0.0.1:9"))
    one = backend.threshold(1e-4, 1)
    assert (round(one.score, 6), one.scale, one.far) == (0.7, "0-1", pytest.approx(1e-4))
    hundred = backend.threshold(1e-3, 100)  # 1:N over 100 entries needs about 1e-5 per comparison
    assert 0.79 < hundred.score < 0.81
    lax = backend.threshold(0.05, 1)  # below the API's own 0.6 cut: reported as 0.6 and its rate
    assert (lax.score, lax.far) == (0.6, pytest.approx(1e-3))
    strict = backend.threshold(1e-9, 1)  # stricter than the table: its last row, with the truth
    assert (strict.score, strict.far) == (0.9, 1e-6)


def test_credentials_are_required() -> None:
    with pytest.raises(ConfigError, match="api_secret"):
        SenseTimeBackend(SenseTimeBackendConfig(api_id=API_ID, group_id="g"))


def test_match_faces_by_overlap() -> None:
    ours = [Box(0, 0, 100, 100), Box(300, 0, 100, 100), Box(600, 0, 50, 50)]
    theirs = [DetectedFace("b", Box(305, 5, 95, 100)), DetectedFace("a", Box(10, 0, 100, 100)),
              DetectedFace("far", Box(900, 900, 50, 50))]
    assert [f.face_id if f else None for f in match_faces(ours, theirs, 0.3)] == ["a", "b", None]
    # one cloud face is never given to two of ours
    twins = [Box(0, 0, 100, 100), Box(5, 0, 100, 100)]
    assert [f.face_id if f else None for f in match_faces(twins, theirs[1:2], 0.3)] == [None, "a"]
