"""Frames of odd formats: converted to 8-bit BGR when there is one obvious conversion, refused
with a clear error at the source otherwise, and the faces in converted frames still found."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.capture.formats import as_bgr8
from edge.errors import UnsupportedFrame
from edge.vision.config import VisionSettings
from edge.vision.pipeline import FaceAnalyzer
from tests.vision.conftest import FACES, load

PHOTO = FACES / "Barack_Obama" / "1.jpg"


@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer(VisionSettings())


@pytest.fixture(scope="module")
def bgr() -> np.ndarray:
    return load(PHOTO)


def faces_in(analyzer: FaceAnalyzer, image: np.ndarray) -> int:
    return len(analyzer.analyze(as_bgr8(image, "camera")))


def test_bgrx_frames_of_a_gstreamer_pipeline_are_converted(analyzer: FaceAnalyzer, bgr: np.ndarray) -> None:
    bgrx = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
    assert np.array_equal(as_bgr8(bgrx, "camera"), bgr)
    assert faces_in(analyzer, bgrx) == 1


def test_yuyv_frames_are_converted(analyzer: FaceAnalyzer, bgr: np.ndarray) -> None:
    even = bgr[:, : bgr.shape[1] // 2 * 2]
    yuyv = cv2.cvtColor(even, cv2.COLOR_BGR2YUV_YUYV)
    converted = as_bgr8(yuyv, "camera")
    assert converted.shape == even.shape
    assert np.abs(converted.astype(int) - even.astype(int)).mean() < 12
    assert faces_in(analyzer, yuyv) == 1


def test_16_bit_and_grey_frames_keep_their_faces(analyzer: FaceAnalyzer, bgr: np.ndarray) -> None:
    assert faces_in(analyzer, bgr.astype(np.uint16) * 257) == 1
    assert faces_in(analyzer, cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)) == 1


@pytest.mark.parametrize("frame", [np.zeros((48, 64, 3), np.float32), np.zeros((48, 64, 5), np.uint8),
                                   np.zeros((2, 48, 64, 3), np.uint8)])
def test_frames_without_a_safe_conversion_are_refused_with_the_format(frame: np.ndarray) -> None:
    with pytest.raises(UnsupportedFrame, match=r"camera delivers .*configure it"):
        as_bgr8(frame, "camera")
