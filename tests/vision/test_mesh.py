"""The face mesh on real faces: its landmarks land where the detector put the eyes and mouth, and
the crop-to-frame mapping follows any shift and scale of the face (edge/vision/mesh.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.vision.config import VisionSettings
from edge.vision.mesh import (
    LEFT_EYE_LOWER,
    LEFT_EYE_UPPER,
    LIPS_LOWER_INNER,
    LIPS_UPPER_INNER,
    NOSE_TIP,
    RIGHT_EYE_LOWER,
    RIGHT_EYE_UPPER,
    FaceMesh,
)
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import LEFT_EYE, MOUTH, NOSE, RIGHT_EYE, Box, Detection
from tests.vision.conftest import FACES, NO_FACE, load

PHOTOS = sorted(FACES.glob("*/*.jpg"))
# Distances in inter-ocular distances (the detector's eye keypoints). Measured on these photos:
# eyes and mouth 0.007-0.093, nose tip 0.015-0.21 (the detector's nose point sits a little off the
# mesh's tip on turned heads). A crop mapped back with the wrong margin moves the eyes by ~0.3.
EYE_MOUTH_TOL = 0.15
NOSE_TOL = 0.3


@pytest.fixture(scope="module")
def mesh() -> FaceMesh:
    return FaceMesh.shipped(VisionSettings())


def centre(points: np.ndarray, *contours: tuple[int, ...]) -> np.ndarray:
    return points[[i for contour in contours for i in contour], :2].mean(axis=0)


@pytest.mark.parametrize("path", PHOTOS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_landmarks_land_on_the_detectors_eyes_mouth_and_nose(
    analyzer: FaceAnalyzer, mesh: FaceMesh, path: Path
) -> None:
    image = load(path)
    detection = analyzer.detect(image)[0]
    (found,) = mesh.landmarks(image, [detection])
    keypoints = detection.keypoints
    iod = float(np.linalg.norm(keypoints[LEFT_EYE] - keypoints[RIGHT_EYE]))
    points = found.points
    assert points.shape == (468, 3) and points.dtype == np.float32
    assert found.score > 0.9

    def off(at: np.ndarray, keypoint: int) -> float:
        return float(np.linalg.norm(at - keypoints[keypoint])) / iod

    assert off(centre(points, RIGHT_EYE_UPPER, RIGHT_EYE_LOWER), RIGHT_EYE) < EYE_MOUTH_TOL
    assert off(centre(points, LEFT_EYE_UPPER, LEFT_EYE_LOWER), LEFT_EYE) < EYE_MOUTH_TOL
    assert off(centre(points, LIPS_UPPER_INNER, LIPS_LOWER_INNER), MOUTH) < EYE_MOUTH_TOL
    assert off(points[NOSE_TIP, :2], NOSE) < NOSE_TOL


def test_the_mapping_follows_a_shifted_and_scaled_face(analyzer: FaceAnalyzer, mesh: FaceMesh) -> None:
    """The same face moved by (37, 23) px, and the frame enlarged 2x: the landmarks move and scale
    with it (same crop content, so only the mapping back to the frame can differ)."""
    image = load(FACES / "Barack_Obama" / "1.jpg")
    detection = analyzer.detect(image)[0]
    (base,) = mesh.landmarks(image, [detection])

    shifted = cv2.copyMakeBorder(image, 23, 0, 37, 0, cv2.BORDER_CONSTANT)
    b = detection.box
    moved = Detection(Box(b.x + 37, b.y + 23, b.w, b.h), detection.score, detection.keypoints + [37, 23])
    (after_shift,) = mesh.landmarks(shifted, [moved])
    np.testing.assert_allclose(after_shift.points[:, :2], base.points[:, :2] + [37, 23], atol=0.05)

    # pixel centres: frame coordinate x maps to 2x in the doubled frame (INTER_LINEAR keeps centres)
    doubled = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)
    grown = Detection(Box(2 * b.x, 2 * b.y, 2 * b.w, 2 * b.h), detection.score, detection.keypoints * 2)
    (after_scale,) = mesh.landmarks(doubled, [grown])
    error = np.abs(after_scale.points[:, :2] - 2 * base.points[:, :2])
    assert np.median(error) < 1.0 and error.max() < 4.0  # 2x pixels, slightly different resampling
    assert np.median(np.abs(after_scale.points[:, 2] - 2 * base.points[:, 2])) < 1.0  # z scales like x


def test_a_crop_without_a_face_scores_low(mesh: FaceMesh) -> None:
    jacket = load(FACES / "Barack_Obama" / "4.jpg")
    cat = load(NO_FACE)
    nothing = np.zeros((6, 2), np.float32)
    (on_jacket,) = mesh.landmarks(jacket, [Detection(Box(100, 650, 150, 150), 0.9, nothing)])
    (on_cat,) = mesh.landmarks(cat, [Detection(Box(100, 50, 200, 200), 0.9, nothing)])
    assert on_jacket.score < 0.1 and on_cat.score < 0.1


def test_several_faces_in_one_batch_match_one_at_a_time(analyzer: FaceAnalyzer, mesh: FaceMesh) -> None:
    image = load(FACES / "Joe_Biden" / "2.jpg")
    detection = analyzer.detect(image)[0]
    half = Detection(Box(detection.box.x, detection.box.y, detection.box.w / 2, detection.box.h),
                     detection.score, detection.keypoints)
    both = mesh.landmarks(image, [detection, half])
    alone = mesh.landmarks(image, [half])
    np.testing.assert_allclose(both[1].points, alone[0].points, atol=1e-3)
    assert mesh.landmarks(image, []) == []


def test_edge_run_does_not_load_the_mesh() -> None:
    """The door's loop imports nothing of the mesh (memory on a Pi is tight)."""
    code = ("import sys, edge.cli.run_cmd, edge.service.runner, edge.service.main; "
            "print('edge.vision.mesh' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
