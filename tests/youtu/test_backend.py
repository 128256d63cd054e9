"""The YouTu backend against the emulator: enrolment through the client, then a group photo."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest

from edge.access.config import AccessSettings
from edge.emulators.common import ServerThread
from edge.identify.base import Identification
from edge.identify.youtu.backend import YoutuBackend
from edge.identify.youtu.client import YoutuClient
from edge.identify.youtu.config import YOUTU_DEFAULT_TABLE
from edge.vision.config import VisionSettings
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Face
from tests.youtu.conftest import photo, youtu_config

POLICY = AccessSettings().max_false_accept  # the default door policy (1e-4)


def decoded(name: str) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(photo(name), np.uint8), cv2.IMREAD_COLOR)


def tile(name: str, size: int = 400) -> np.ndarray:
    """The photo fitted into a grey square."""
    image = decoded(name)
    scale = size / max(image.shape[:2])
    image = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)))
    square = np.full((size, size, 3), 128, np.uint8)
    square[: image.shape[0], : image.shape[1]] = image
    return square


@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer(VisionSettings())


@pytest.fixture(scope="module")
def backend(server: ServerThread) -> Iterator[YoutuBackend]:
    config = youtu_config(server.url, group_ids=["door-1"])
    with YoutuClient(config) as client:
        enrolled = YoutuBackend(config, client)
        enrolled.create_person("obama", "Barack Obama", ["door-1", "staff"], photo("Barack_Obama/1"))
        enrolled.add_face("obama", photo("Barack_Obama/2"))
        enrolled.create_person("biden", "Joe Biden", ["door-1"], photo("Joe_Biden/1"))
        yield enrolled


def accepted(backend: YoutuBackend, identification: Identification) -> str | None:
    """The person the door would let in at the default policy, if any."""
    best = identification.best
    threshold = backend.threshold(POLICY, gallery_size=len(backend.list_persons(backend.groups)))
    return best.person_id if best is not None and best.score >= threshold.score else None


def test_group_photo_names_each_enrolled_face_and_nobody_for_the_stranger(
    backend: YoutuBackend, analyzer: FaceAnalyzer
) -> None:
    # Reading order: the stranger, Biden, Obama (other photos than the enrolled ones), a blank.
    frame = np.vstack(
        [
            np.hstack([tile("Eileen_Collins/1"), tile("Joe_Biden/2")]),
            np.hstack([tile("Barack_Obama/3"), np.full((400, 400, 3), 128, np.uint8)]),
        ]
    )
    faces: list[Face] = sorted(
        analyzer.analyze(frame), key=lambda f: (f.detection.box.y > 400, f.detection.box.x)
    )
    assert len(faces) == 3
    answers = backend.identify(frame, faces, deadline_s=10.0)
    assert [accepted(backend, a) for a in answers] == [None, "biden", "obama"]
    assert all(a.backend == "youtu" and a.scale == "0-100" for a in answers)
    assert answers[0].best is not None  # the stranger still gets unfiltered candidates, below the cut


def test_one_face_is_identified_on_a_crop(backend: YoutuBackend, analyzer: FaceAnalyzer) -> None:
    frame = decoded("Barack_Obama/4")
    faces = analyzer.analyze(frame)
    [answer] = backend.identify(frame, faces, deadline_s=10.0)
    assert accepted(backend, answer) == "obama"


def test_no_faces_means_no_call(backend: YoutuBackend) -> None:
    assert backend.identify(np.zeros((10, 10, 3), np.uint8), [], deadline_s=1.0) == []


def test_verify_is_one_to_one(backend: YoutuBackend) -> None:
    cut = backend.threshold(POLICY, gallery_size=1).score
    assert backend.verify("biden", photo("Joe_Biden/2"), deadline_s=10.0).score >= cut
    assert backend.verify("biden", photo("Eileen_Collins/1"), deadline_s=10.0).score < cut


def test_threshold_comes_from_the_table_and_tightens_with_the_gallery(backend: YoutuBackend) -> None:
    table = dict((far, score) for score, far in YOUTU_DEFAULT_TABLE)
    one = backend.threshold(1e-4, gallery_size=1)
    assert (one.score, one.scale, one.far) == (pytest.approx(table[1e-4]), "0-100", pytest.approx(1e-4))
    ten = backend.threshold(1e-3, gallery_size=10)  # each comparison must meet about 1e-4
    assert ten.score == pytest.approx(table[1e-4], abs=0.01) and ten.far == pytest.approx(1e-3, rel=1e-3)
    beyond = backend.threshold(1e-7, gallery_size=1)  # stricter than the table: its last row, honestly
    assert (beyond.score, beyond.far) == (table[1e-5], 1e-5)


def test_enroller_lists_and_deletes_people(backend: YoutuBackend) -> None:
    backend.create_person("visitor", "V", ["lobby"], photo("Eileen_Collins/1"))
    assert backend.list_persons(["door-1", "lobby", "no-such-group"]) == ["biden", "obama", "visitor"]
    backend.delete_person("visitor")
    backend.delete_person("visitor")  # idempotent
    assert backend.list_persons(["lobby"]) == []
