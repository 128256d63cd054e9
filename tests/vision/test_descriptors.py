"""The descriptor registry: a setting chooses the model, its chip and preprocessing; the quality
gates keep measuring on dlib's chip whatever the descriptor."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from edge.vision.align import alignment_matrix
from edge.vision.config import VisionSettings
from edge.vision.descriptors import FACENET_CHIP, TEMPLATE_KEYPOINTS, prewhiten
from edge.vision.pipeline import FaceAnalyzer
from tests.vision.conftest import ASTRONAUT, FACES, load


@pytest.fixture(scope="module")
def facenet() -> FaceAnalyzer:
    return FaceAnalyzer(VisionSettings(descriptor="facenet", descriptor_precision="float32"))


@pytest.fixture(scope="module")
def dlib() -> FaceAnalyzer:
    return FaceAnalyzer(VisionSettings(descriptor="dlib"))


def test_each_descriptor_has_its_model_precision_and_flip_default() -> None:
    dlib, facenet = VisionSettings(descriptor="dlib"), VisionSettings(descriptor="facenet")
    assert (dlib.descriptor_model, dlib.precision, dlib.use_flip_test) == \
        ("face-api-descriptor", "float32", True)
    assert (facenet.descriptor_model, facenet.precision, facenet.use_flip_test) == \
        ("facenet-int8", "int8", False)
    assert VisionSettings().descriptor_model == "facenet-int8"  # the default
    assert VisionSettings(descriptor="facenet", flip_test=True).use_flip_test is True
    float32 = VisionSettings(descriptor="facenet", descriptor_precision="float32")
    assert float32.descriptor_model == "facenet"


def test_a_precision_the_descriptor_lacks_is_refused() -> None:
    assert VisionSettings(descriptor="dlib").precision == "float32"  # empty: the descriptor's own
    with pytest.raises(ValidationError, match="the dlib descriptor is built for float32 only"):
        VisionSettings(descriptor="dlib", descriptor_precision="int8")


def test_prewhitening_standardizes_each_chip_on_its_own() -> None:
    rng = np.random.default_rng(0)
    chips = np.stack([rng.integers(0, 256, (160, 160, 3)), rng.integers(100, 120, (160, 160, 3)),
                      np.full((160, 160, 3), 7)]).astype(np.uint8)
    white = prewhiten(chips)
    assert white.dtype == np.float32
    np.testing.assert_allclose(white[:2].mean(axis=(1, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(white[:2].std(axis=(1, 2, 3)), 1, atol=1e-4)
    np.testing.assert_array_equal(white[2], 0)  # a flat chip: the std floor keeps it finite


def test_facenet_chips_put_the_keypoints_on_its_template(facenet: FaceAnalyzer) -> None:
    image = load(ASTRONAUT)
    detection = facenet.detect(image)[0]
    chips = facenet.chips(image, [detection])
    assert chips.shape == (1, 160, 160, 3)
    matrix = alignment_matrix(detection.keypoints, FACENET_CHIP)
    in_chip = detection.keypoints[list(TEMPLATE_KEYPOINTS)] @ matrix[:, :2].T + matrix[:, 2]
    assert np.abs(in_chip - np.array(FACENET_CHIP.template)).max() < 4


def test_quality_gates_measure_the_same_whatever_the_descriptor(dlib: FaceAnalyzer,
                                                                facenet: FaceAnalyzer) -> None:
    image = load(FACES / "Joe_Biden" / "1.jpg")
    dlib_face, facenet_face = dlib.analyze(image)[0], facenet.analyze(image)[0]
    assert dlib_face.quality == facenet_face.quality
    assert facenet_face.embedding is not None and facenet_face.embedding.shape == (128,)
    assert np.linalg.norm(facenet_face.embedding) == pytest.approx(1, abs=1e-5)


def test_facenet_tells_people_apart(facenet: FaceAnalyzer) -> None:
    def vector(photo: str) -> np.ndarray:
        face = facenet.analyze(load(FACES / photo))[0]
        assert face.embedding is not None
        return face.embedding

    obama_1, obama_2 = vector("Barack_Obama/1.jpg"), vector("Barack_Obama/2.jpg")
    biden = vector("Joe_Biden/1.jpg")
    assert float(obama_1 @ obama_2) > 0.6 > 0.3 > max(float(obama_1 @ biden), float(obama_2 @ biden))
