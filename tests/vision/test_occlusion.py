"""The occlusion gate: masks and sunglasses drawn on the real fixture faces are refused as
``occluded``; the bare faces are not; the settings can turn each check off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge.eval.occlusion import MASK_KINDS, draw_mask, draw_sunglasses
from edge.vision.config import QualitySettings, VisionSettings
from edge.vision.pipeline import FaceAnalyzer
from tests.vision.conftest import FACES, load

PHOTOS = sorted(FACES.glob("*/*.jpg"))


def reasons(analyzer: FaceAnalyzer, image: np.ndarray) -> tuple[str, ...]:
    faces = analyzer.analyze(image, describe=False)
    assert faces, "the detector found no face"
    return faces[0].quality.reasons


@pytest.mark.parametrize("photo", PHOTOS, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_bare_faces_are_not_occluded(analyzer: FaceAnalyzer, photo: Path) -> None:
    face = analyzer.analyze(load(photo), describe=False)[0]
    assert "occluded" not in face.quality.reasons
    assert face.quality.measures["lower_face_skin"] > 0.3 and face.quality.measures["eyes_dark"] < 0.6


@pytest.mark.parametrize("kind", MASK_KINDS)
def test_a_mask_is_an_occlusion(analyzer: FaceAnalyzer, kind: str) -> None:
    image = load(FACES / "Barack_Obama" / "1.jpg")
    keypoints = analyzer.detect(image)[0].keypoints
    masked = draw_mask(image, keypoints, np.random.default_rng(0), kind)
    assert "occluded" in reasons(analyzer, masked)


@pytest.mark.parametrize("photo", PHOTOS, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_sunglasses_are_an_occlusion(analyzer: FaceAnalyzer, photo: Path) -> None:
    image = load(photo)
    keypoints = analyzer.detect(image)[0].keypoints
    face = analyzer.analyze(draw_sunglasses(image, keypoints, np.random.default_rng(0)), describe=False)[0]
    assert "occluded" in face.quality.reasons and face.quality.measures["eyes_dark"] > 0.8


@pytest.mark.parametrize("photo", PHOTOS, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_hair_or_a_cap_over_the_forehead_is_no_occlusion(analyzer: FaceAnalyzer, photo: Path) -> None:
    image = load(photo)
    keypoints = analyzer.detect(image)[0].keypoints
    eyes_y = int(keypoints[:2, 1].min())
    eye_distance = float(np.linalg.norm(keypoints[1] - keypoints[0]))
    covered = image.copy()
    covered[: eyes_y - int(0.45 * eye_distance)] = (20, 25, 30)  # dark bangs or a cap down to the brows
    assert "occluded" not in reasons(analyzer, covered)


def test_each_check_can_be_turned_off() -> None:
    image = load(FACES / "Joe_Biden" / "1.jpg")
    off = FaceAnalyzer(VisionSettings(quality=QualitySettings(min_lower_face_skin=0, max_eyes_dark=1)))
    keypoints = off.detect(image)[0].keypoints
    rng = np.random.default_rng(0)
    for occluded in (draw_mask(image, keypoints, rng, "surgical"), draw_sunglasses(image, keypoints, rng)):
        assert "occluded" not in reasons(off, occluded)
