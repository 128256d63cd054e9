"""The cloud-taught cache: only strict cloud matches, only good faces, diverse and bounded (when a
track may teach at all is the loop's: tests/loop/test_cloud_teacher.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from edge.gallery.config import GallerySettings
from edge.gallery.learn import CloudTeacher, Outcome
from edge.gallery.store import GalleryStore
from edge.identify.base import Candidate, Identification
from edge.vision.types import Box, Detection, Face, Liveness, Quality
from tests.gallery.cloud import CloudClient
from tests.gallery.test_store import unit

GROUPS = ["staff"]
STRICT, LOOSE = 0.97, 0.92  # either side of the test cloud's cut for 1e-5 in this gallery (~0.936)


def face(embedding: np.ndarray, reasons: tuple[str, ...] = ()) -> Face:
    detection = Detection(Box(10, 10, 100, 100), 0.9, np.zeros((6, 2), np.float32))
    return Face(detection, Quality(reasons), Liveness(), embedding)


def named(*candidates: tuple[str, float]) -> Identification:
    return Identification(tuple(Candidate(pid, score) for pid, score in candidates), "testcloud", "0-1")


def mix(a: np.ndarray, b: np.ndarray, weight: float) -> np.ndarray:
    vector = a + weight * b
    return vector / np.linalg.norm(vector)


@pytest.fixture
def cloud() -> Iterator[CloudClient]:
    client = CloudClient("http://127.0.0.1:9", GROUPS)  # only its score table is used here
    yield client
    client.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[GalleryStore]:
    with GalleryStore(tmp_path / "g.sqlite") as opened:
        opened.add_person("ann", "Ann", GROUPS, now=0.0)
        opened.add_face("ann", unit(0), "enrolled")
        opened.add_person("bob", "Bob", GROUPS, now=0.0)
        opened.add_face("bob", unit(10), "enrolled")
        opened.set_remote("bob", "testcloud", "cloud-bob-7")
        yield opened


def test_only_a_strict_unambiguous_cloud_match_on_a_good_face_teaches(
        store: GalleryStore, cloud: CloudClient) -> None:
    teacher = CloudTeacher(store, GallerySettings(), GROUPS, clock=lambda: 1000.0)
    sample = mix(unit(0), unit(1), 0.5)
    assert teacher.observe(cloud, face(sample), named(("ann", LOOSE))) is Outcome.NOT_STRICT
    assert teacher.observe(cloud, face(sample), named(("ann", STRICT), ("bob", STRICT))) is Outcome.NOT_STRICT
    blurred = face(sample, reasons=("blurry",))
    assert teacher.observe(cloud, blurred, named(("ann", STRICT))) is Outcome.BAD_FACE
    assert teacher.observe(cloud, face(sample), named(("stranger", STRICT))) is Outcome.UNKNOWN_PERSON
    # Bob is known to the cloud under its own id; "bob" as the cloud's id means someone else
    assert teacher.observe(cloud, face(sample), named(("bob", STRICT))) is Outcome.UNKNOWN_PERSON
    assert [store.require_person(p).learned_faces for p in ("ann", "bob")] == [0, 0]
    assert store.require_person("ann").last_confirmed == 0.0

    assert teacher.observe(cloud, face(sample), named(("ann", STRICT), ("bob", LOOSE))) is Outcome.LEARNED
    assert teacher.observe(cloud, face(mix(unit(10), unit(11), 0.5)),
                           named(("cloud-bob-7", STRICT))) is Outcome.LEARNED
    assert [store.require_person(p).learned_faces for p in ("ann", "bob")] == [1, 1]
    assert store.require_person("ann").last_confirmed == 1000.0  # the cloud just vouched for Ann


def test_the_cache_stays_bounded_and_diverse(store: GalleryStore, cloud: CloudClient) -> None:
    teacher = CloudTeacher(store, GallerySettings(max_faces_per_person=3), GROUPS)
    close_to_enrolled = mix(unit(0), unit(1), 0.8)  # ~0.78 to the enrolled face
    different = unit(2)

    def learn(embedding: np.ndarray) -> Outcome:
        return teacher.observe(cloud, face(embedding), named(("ann", STRICT)))

    assert learn(close_to_enrolled) is Outcome.LEARNED
    assert learn(different) is Outcome.LEARNED
    assert learn(different) is Outcome.REDUNDANT  # the same again (>= duplicate_similarity)
    assert learn(unit(3)) is Outcome.REPLACED  # full: the most redundant learned face makes room
    kept = store.faces("ann")
    assert len(kept) == 3 and [f.source for f in kept] == ["enrolled", "learned", "learned"]
    assert max(float(f.embedding @ close_to_enrolled) for f in kept) < 0.9
    assert learn(mix(unit(0), unit(5), 0.5)) is Outcome.REDUNDANT  # adds less than any kept one
    assert len(store.faces("ann")) == 3


def test_enrolled_faces_are_never_replaced(store: GalleryStore, cloud: CloudClient) -> None:
    teacher = CloudTeacher(store, GallerySettings(max_faces_per_person=1), GROUPS)
    assert teacher.observe(cloud, face(unit(7)), named(("ann", STRICT))) is Outcome.FULL
    assert [f.source for f in store.faces("ann")] == ["enrolled"]
