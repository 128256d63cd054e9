"""Alignment lands the keypoints on the template; quality gates object with their reasons."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.vision.align import align, alignment_matrix, similarity_transform
from edge.vision.config import QualitySettings
from edge.vision.descriptors import DLIB_CHIP_TEMPLATE, TEMPLATE_KEYPOINTS
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.quality import assess, pose_angles
from tests.vision.conftest import ASTRONAUT, FACES, load


def test_similarity_transform_recovers_a_known_one() -> None:
    angle, scale, shift = np.radians(20), 1.7, np.array([30.0, -12.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = np.array([[0, 0], [10, 0], [3, 8], [7, 12]], np.float64)
    matrix = similarity_transform(src, src @ rotation.T + shift)
    assert np.allclose(matrix[:, :2], rotation) and np.allclose(matrix[:, 2], shift)


def test_alignment_puts_the_keypoints_on_the_template(analyzer: FaceAnalyzer) -> None:
    detection = analyzer.detect(load(ASTRONAUT))[0]
    matrix = alignment_matrix(detection.keypoints)
    in_chip = detection.keypoints @ matrix[:, :2].T + matrix[:, 2]
    used = list(TEMPLATE_KEYPOINTS)
    errors = np.linalg.norm(in_chip[used] - DLIB_CHIP_TEMPLATE[used], axis=1)
    assert errors.max() < 4  # a frontal face: the similarity fit leaves little residual


def test_large_faces_are_shrunk_before_warping(analyzer: FaceAnalyzer) -> None:
    image = load(FACES / "Joe_Biden" / "2.jpg")  # face about 330 px wide
    keypoints = analyzer.detect(image)[0].keypoints
    direct = cv2.warpAffine(image, alignment_matrix(keypoints), (150, 150), flags=cv2.INTER_LINEAR)
    chip = align(image, keypoints)
    # same geometry (the low frequencies agree), less aliasing (fewer high frequencies)
    def blurred(chip_bgr: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(chip_bgr.astype(np.float32), (0, 0), 3)

    def sharpness(chip_bgr: np.ndarray) -> float:
        return float(cv2.Laplacian(cv2.cvtColor(chip_bgr, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())

    assert np.abs(blurred(chip) - blurred(direct)).mean() < 3
    assert sharpness(chip) < sharpness(direct)


def test_frontal_template_has_no_pose() -> None:
    yaw, pitch = pose_angles(DLIB_CHIP_TEMPLATE)
    assert abs(yaw) < 2 and abs(pitch) < 1e-6
    turned = DLIB_CHIP_TEMPLATE.copy()
    turned[2, 0] += 20  # nose tip moved sideways: the head turned
    assert pose_angles(turned)[0] > 30


def test_a_good_face_passes_every_gate(analyzer: FaceAnalyzer) -> None:
    face = analyzer.analyze(load(ASTRONAUT))[0]
    assert face.quality.ok, face.quality
    assert set(face.quality.measures) == {"interocular_px", "sharpness", "yaw_deg", "pitch_deg", "brightness",
                                          "lower_face_skin", "eyes_dark"}
    assert 40 < face.quality.measures["interocular_px"] < 50


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda im: cv2.GaussianBlur(im, (0, 0), 4), "blurry"),
        (lambda im: (im * 0.15).astype(np.uint8), "too_dark"),
        (lambda im: cv2.addWeighted(im, 0.3, np.full_like(im, 255), 0.7, 0), "too_bright"),
    ],
)
def test_each_gate_objects_with_its_reason(analyzer: FaceAnalyzer, change, reason: str) -> None:
    faces = analyzer.analyze(change(load(ASTRONAUT)), describe=False)
    assert faces, "the face is still found"
    assert reason in faces[0].quality.reasons


def test_small_and_turned_faces(analyzer: FaceAnalyzer) -> None:
    image = load(ASTRONAUT)
    small = cv2.resize(image, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    canvas = np.full((240, 240, 3), 120, np.uint8)
    canvas[60:188, 60:188] = small
    faces = analyzer.analyze(canvas, describe=False)
    assert faces and faces[0].quality.measures["interocular_px"] == pytest.approx(46 / 4, abs=1.5)
    sharp = analyzer.analyze(image, describe=False)[0].quality.measures["sharpness"]
    assert faces[0].quality.measures["sharpness"] < sharp / 4  # blown up four times into the chip

    chip = align(image, analyzer.detect(image)[0].keypoints)
    assert assess(chip, DLIB_CHIP_TEMPLATE, 46.0, QualitySettings()).ok
    assert assess(chip, DLIB_CHIP_TEMPLATE, 10.0, QualitySettings()).reasons == ("too_small",)
    turned = DLIB_CHIP_TEMPLATE.copy()
    turned[2, 0] += 25
    quality = assess(chip, turned, 46.0, QualitySettings())
    assert quality.reasons == ("pose",) and quality.measures["yaw_deg"] > 35


def test_rejected_faces_can_be_left_undescribed(analyzer: FaceAnalyzer) -> None:
    image = load(ASTRONAUT)
    pair = np.hstack([image, cv2.GaussianBlur(image, (0, 0), 4)])  # the same face, sharp and blurred
    every = sorted(analyzer.analyze(pair), key=lambda f: f.detection.box.x)
    usable = sorted(analyzer.analyze(pair, describe_rejected=False), key=lambda f: f.detection.box.x)
    assert [f.quality.ok for f in usable] == [True, False]
    assert all(f.embedding is not None for f in every)  # the default describes every face
    assert usable[1].embedding is None and usable[1].quality.reasons == ("blurry",)
    assert usable[0].embedding is not None and every[0].embedding is not None
    assert float(usable[0].embedding @ every[0].embedding) == pytest.approx(1.0, abs=1e-5)
