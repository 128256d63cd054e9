"""BlazeFace detection on real photos: where the eyes are, no face on a cat, small faces by tiles."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.vision.config import VisionSettings
from edge.vision.detect import FULL_RANGE, SHORT_RANGE, anchor_centres, blended_nms
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import LEFT_EYE, RIGHT_EYE
from tests.vision.conftest import ASTRONAUT, NO_FACE, load

# Pupil centres in the astronaut photo (512x512), measured by hand on an 8x enlargement.
ASTRONAUT_RIGHT_EYE = (203.0, 101.0)  # image left
ASTRONAUT_LEFT_EYE = (246.0, 102.5)


def assert_eyes_at(keypoints: np.ndarray, tolerance_px: float) -> None:
    assert np.linalg.norm(keypoints[RIGHT_EYE] - ASTRONAUT_RIGHT_EYE) <= tolerance_px
    assert np.linalg.norm(keypoints[LEFT_EYE] - ASTRONAUT_LEFT_EYE) <= tolerance_px


def test_finds_the_astronaut_with_eyes_where_they_are(analyzer: FaceAnalyzer) -> None:
    detections = analyzer.detect(load(ASTRONAUT))
    assert len(detections) == 1
    face = detections[0]
    assert face.score > 0.8
    assert_eyes_at(face.keypoints, tolerance_px=5)
    assert 170 <= face.box.x <= 185 and 90 <= face.box.w <= 120


def test_short_range_detector_finds_the_astronaut_too() -> None:
    detections = FaceAnalyzer(VisionSettings(detector="short")).detect(load(ASTRONAUT))
    assert len(detections) == 1
    assert_eyes_at(detections[0].keypoints, tolerance_px=8)


def test_no_face_on_a_cat(analyzer: FaceAnalyzer) -> None:
    assert analyzer.detect(load(NO_FACE)) == []
    assert analyzer.analyze(load(NO_FACE)) == []


def test_grey_frames_are_accepted_in_any_shape(analyzer: FaceAnalyzer) -> None:
    grey = cv2.cvtColor(load(ASTRONAUT), cv2.COLOR_BGR2GRAY)
    for frame in (grey, grey[:, :, None]):
        detections = analyzer.detect(frame)
        assert len(detections) == 1
        assert_eyes_at(detections[0].keypoints, tolerance_px=6)


def test_min_face_size_filters_small_faces() -> None:
    assert FaceAnalyzer(VisionSettings(min_face_px=150)).detect(load(ASTRONAUT)) == []


def small_face_in_a_large_frame(face_px: int) -> np.ndarray:
    """The astronaut's head, shrunk so the face is about face_px wide, in a grey 1920x1080 frame."""
    head = load(ASTRONAUT)[20:260, 110:350]  # the face is about 105 px wide in it
    scale = face_px / 105
    small = cv2.resize(head, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frame = np.full((1080, 1920, 3), 110, np.uint8)
    frame[600 : 600 + small.shape[0], 1300 : 1300 + small.shape[1]] = small
    return frame


def test_tiles_find_a_small_face_the_single_pass_misses(analyzer: FaceAnalyzer) -> None:
    frame = small_face_in_a_large_frame(60)
    assert analyzer.detect(frame) == []
    found = FaceAnalyzer(VisionSettings(tile_grid=2)).detect(frame)
    assert len(found) == 1
    box = found[0].box
    assert 1300 < box.x + box.w / 2 < 1300 + 70 and 45 <= box.w <= 75


def test_anchor_layouts_match_the_models() -> None:
    assert anchor_centres(FULL_RANGE).shape == (2304, 2)
    short = anchor_centres(SHORT_RANGE)
    assert short.shape == (896, 2)
    # the stride-8 layer first, two anchors per cell; then stride 16 with six
    assert short[:3].tolist() == [[4, 4], [4, 4], [12, 4]]
    assert short[512:519].tolist() == [[8, 8]] * 6 + [[24, 8]]


def test_blended_nms_merges_overlaps_weighted_by_score() -> None:
    rows = np.zeros((3, 16), np.float32)
    rows[0, :4] = [0, 0, 10, 10]
    rows[1, :4] = [2, 0, 12, 10]  # overlaps the first (IoU 0.67)
    rows[2, :4] = [50, 50, 60, 60]  # apart
    kept = blended_nms(np.array([0.9, 0.3, 0.8]), rows, iou=0.3)
    assert [score for score, _ in kept] == [0.9, 0.8]
    assert kept[0][1][0] == pytest.approx(0.3 * 2 / 1.2)  # x0 pulled towards the weaker box
    assert kept[1][1][:4].tolist() == [50, 50, 60, 60]


def test_a_face_filling_the_frame_is_found(analyzer: FaceAnalyzer) -> None:
    face = load(ASTRONAUT)[60:180, 165:285]  # forehead to chin, ear to ear
    close_up = cv2.resize(face, (480, 480), interpolation=cv2.INTER_CUBIC)
    detections = analyzer.detect(close_up)
    assert len(detections) == 1 and detections[0].box.w > 400
