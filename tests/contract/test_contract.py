"""The contract every identification backend keeps, each against its emulator over loopback
(the local gallery on the device, YouTu, SenseTime, IAI): the same tests for each."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from edge.errors import RemoteError
from edge.identify.base import Backend, Identification
from edge.identify.chain import BackendChain, ChainAnswer, CircuitState
from edge.identify.config import IdentifySettings
from edge.identify.families import Family, family_of
from edge.identify.registry import PLUGINS
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Box, Face
from tests.contract.conftest import (
    BACKENDS,
    POLICY,
    Emulated,
    Harness,
    enroll,
    faces_of,
    photo,
    side_by_side,
)

DEADLINE_S = 5.0
CHAIN = IdentifySettings(deadline_ms=5000, breaker_failures=2, breaker_reset_s=600)


def named(harness: Harness, identifications: list[Identification]) -> list[str | None]:
    """The appliance's id of the person each answer names under the door's policy."""
    return [v.person_id for v in harness.judge(ChainAnswer(identifications, harness.backend, offline=False))]


def obama(analyzer: FaceAnalyzer) -> tuple[np.ndarray, list[Face]]:
    frame = photo("Barack_Obama/3")  # not the enrolled photo
    return frame, faces_of(analyzer, frame)


def needs_a_vendor(harness: Harness) -> None:
    if not harness.backend.cloud:
        pytest.skip("the gallery on the device has no vendor to refuse or fail")


def test_every_registered_backend_is_under_contract() -> None:
    assert sorted(BACKENDS) == sorted(p.type for p in PLUGINS)


def test_answers_come_one_per_face_in_the_order_of_the_faces(
        harness: Harness, analyzer: FaceAnalyzer) -> None:
    frame = side_by_side("Barack_Obama/3", "Joe_Biden/2")
    faces = faces_of(analyzer, frame)
    assert len(faces) == 2
    answers = harness.backend.identify(frame, faces, deadline_s=DEADLINE_S)
    assert [a.backend for a in answers] == [harness.name] * 2
    assert named(harness, answers) == ["obama", "biden"]
    swapped = harness.backend.identify(frame, faces[::-1], deadline_s=DEADLINE_S)
    assert named(harness, swapped) == ["biden", "obama"]


def test_one_face_the_cloud_found_answers_for_one_detected_face_only(
        harness: Harness, analyzer: FaceAnalyzer) -> None:
    if not harness.backend.cloud:
        pytest.skip("the device describes each face itself: there are no cloud rectangles to pair")
    frame, (face,) = obama(analyzer)
    box = face.detection.box
    # a second detection a quarter of a face to the right (IoU 0.6 with the first), listed first
    beside = replace(face, detection=replace(face.detection, box=Box(box.x + box.w / 4, box.y, box.w, box.h)))
    answers = harness.backend.identify(frame, [beside, face], deadline_s=DEADLINE_S)
    assert named(harness, answers) == [None, "obama"]
    assert not answers[0].candidates


def test_every_event_records_the_door_rate_and_the_table_that_set_it(
        harness: Harness, analyzer: FaceAnalyzer) -> None:
    frame, faces = obama(analyzer)
    chain = BackendChain([harness.backend, harness.local] if harness.backend.cloud else [harness.backend],
                         CHAIN)
    try:
        answer = chain.identify(frame, faces)
    finally:
        chain.close()
    assert answer.backend_name == harness.name and not answer.offline
    (verdict,) = harness.judge(answer)
    assert verdict.person_id == "obama" and verdict.match is not None
    match = verdict.match
    # the 1:N rate over the people the door searches, whatever the backend's own table states
    assert match.false_accept == pytest.approx(POLICY, rel=1e-6)
    assert match.calibration == ("documented" if harness.backend.cloud else "shipped")
    threshold = harness.backend.threshold(POLICY, harness.judge.gallery_size())
    assert (match.scale, match.threshold) == (threshold.scale, round(threshold.score, 4))
    assert match.score >= match.threshold and not match.offline


def test_a_person_is_named_once_enrolled_and_no_longer_once_revoked(
        harness: Harness, analyzer: FaceAnalyzer) -> None:
    frame = photo("Eileen_Collins/1")
    faces = faces_of(analyzer, frame)

    def who() -> list[str | None]:
        return named(harness, harness.backend.identify(frame, faces, deadline_s=DEADLINE_S))

    assert who() == [None]  # a stranger to the door
    enroll(harness, "collins", "Eileen Collins", "Eileen_Collins/1")
    backend_id = harness.backend_id("collins")
    assert backend_id in harness.held() and who() == ["collins"]
    assert harness.enrollment.remove("collins") == []  # no deletion left owed to the cloud
    assert backend_id not in harness.held() and who() == [None]


def fails_over(harness: Harness, cloud: Backend, frame: np.ndarray, faces: list[Face]) -> None:
    """Behind the failing ``cloud``, the gallery answers offline, and the circuit opens after
    ``breaker_failures`` calls: the next call does not reach the cloud."""
    chain = BackendChain([cloud, harness.local], CHAIN)
    try:
        answers = [chain.identify(frame, faces) for _ in range(CHAIN.breaker_failures + 1)]
        assert chain.circuit_states()[cloud.name] is CircuitState.OPEN
        assert chain.failures()[cloud.name] == CHAIN.breaker_failures
    finally:
        chain.close()
    assert all(a.backend_name == "local" and a.offline for a in answers)
    (verdict,) = harness.judge(answers[-1])
    assert verdict.person_id == "obama" and verdict.match is not None and verdict.match.offline


def test_a_rate_limited_vendor_opens_the_circuit_and_the_gallery_answers_offline(
        harness: Harness, throttled: Backend, analyzer: FaceAnalyzer) -> None:
    frame, faces = obama(analyzer)
    with pytest.raises(RemoteError) as refused:
        throttled.identify(frame, faces, deadline_s=DEADLINE_S)
    assert family_of(refused.value) is Family.RATE_LIMITED, refused.value
    fails_over(harness, throttled, frame, faces)


def test_a_failing_vendor_opens_the_circuit_and_the_gallery_answers_offline(
        harness: Harness, analyzer: FaceAnalyzer) -> None:
    needs_a_vendor(harness)
    assert harness.fault is not None
    frame, faces = obama(analyzer)
    harness.fault.failing = True
    try:
        with pytest.raises(RemoteError) as failed:
            harness.backend.identify(frame, faces, deadline_s=DEADLINE_S)
        assert family_of(failed.value) is Family.UNAVAILABLE, failed.value
        fails_over(harness, harness.backend, frame, faces)
    finally:
        harness.fault.failing = False


def test_a_request_the_vendor_refuses_leaves_the_circuit_closed(
        harness: Harness, emulated: dict[str, Emulated], analyzer: FaceAnalyzer) -> None:
    needs_a_vendor(harness)
    frame, faces = obama(analyzer)
    elsewhere = harness.variant(**emulated[harness.name].unknown_group)  # a group the cloud lacks
    with pytest.raises(RemoteError) as refused:
        elsewhere.identify(frame, faces, deadline_s=DEADLINE_S)
    assert family_of(refused.value) is Family.NOT_FOUND, refused.value
    chain = BackendChain([elsewhere, harness.local], CHAIN)
    try:
        answers = [chain.identify(frame, faces) for _ in range(CHAIN.breaker_failures + 1)]
        assert chain.circuit_states()[elsewhere.name] is CircuitState.CLOSED
    finally:
        chain.close()
    assert all(a.backend_name == "local" and not a.offline for a in answers)  # the cloud was reached
