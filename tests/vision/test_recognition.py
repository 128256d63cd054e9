"""Same person or not, at the default policy (1e-4) through the shipped calibration table, for
the default descriptor and the other one."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from edge.access.config import AccessSettings
from edge.identify.local.calibration import load_calibration
from edge.identify.thresholds import Threshold
from edge.vision.config import VisionSettings
from edge.vision.pipeline import FaceAnalyzer
from tests.vision.conftest import FACES, load

PEOPLE = {
    "Barack_Obama": ["1", "2", "3", "4"],
    "Joe_Biden": ["1", "2"],
    "Eileen_Collins": ["1"],
}


OTHER_DESCRIPTOR = {"dlib": "facenet", "facenet": "dlib"}[VisionSettings().descriptor]


@pytest.fixture(scope="module", params=["default", OTHER_DESCRIPTOR])
def analyzer(request: pytest.FixtureRequest, analyzer: FaceAnalyzer) -> FaceAnalyzer:
    """The session's default analyzer, then one with the other descriptor."""
    if request.param == "default":
        return analyzer
    return FaceAnalyzer(VisionSettings(descriptor=request.param))


@pytest.fixture(scope="module")
def embeddings(analyzer: FaceAnalyzer) -> dict[tuple[str, str], np.ndarray]:
    result = {}
    for person, photos in PEOPLE.items():
        for photo in photos:
            faces = analyzer.analyze(load(FACES / person / f"{photo}.jpg"))
            assert faces and faces[0].embedding is not None
            result[(person, photo)] = faces[0].embedding
    return result


@pytest.fixture(scope="module")
def threshold(analyzer: FaceAnalyzer) -> Threshold:
    table = load_calibration(None, analyzer.settings)
    return table.threshold_for(AccessSettings().max_false_accept)


def test_embeddings_are_unit_vectors(embeddings: dict[tuple[str, str], np.ndarray]) -> None:
    for vector in embeddings.values():
        assert vector.shape == (128,) and vector.dtype == np.float32
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_photos_of_one_person_are_the_same_person(
    analyzer: FaceAnalyzer, embeddings: dict[tuple[str, str], np.ndarray], threshold: Threshold
) -> None:
    for person, photos in PEOPLE.items():
        for a, b in itertools.combinations(photos, 2):
            score = analyzer.similarity(embeddings[(person, a)], embeddings[(person, b)])
            assert score >= threshold.score, f"{person} {a} vs {b}: {score:.4f} < {threshold.score:.4f}"


def test_different_people_are_not(
    analyzer: FaceAnalyzer, embeddings: dict[tuple[str, str], np.ndarray], threshold: Threshold
) -> None:
    for (ka, ea), (kb, eb) in itertools.combinations(embeddings.items(), 2):
        if ka[0] != kb[0]:
            score = analyzer.similarity(ea, eb)
            assert score < threshold.score, f"{ka} vs {kb}: {score:.4f} >= {threshold.score:.4f}"


def test_flip_test_adds_the_mirror_image(analyzer: FaceAnalyzer,
                                         embeddings: dict[tuple[str, str], np.ndarray]) -> None:
    flip = not analyzer.settings.use_flip_test
    other = FaceAnalyzer(analyzer.settings.model_copy(update={"flip_test": flip}))
    image = load(FACES / "Barack_Obama" / "1.jpg")
    vector = other.describe(image, other.detect(image)[:1])[0]
    assert 0.95 < float(vector @ embeddings[("Barack_Obama", "1")]) < 0.9999


def test_describe_is_batched_in_detection_order(analyzer: FaceAnalyzer) -> None:
    left = load(FACES / "Barack_Obama" / "1.jpg")
    right = load(FACES / "Joe_Biden" / "1.jpg")
    height = max(left.shape[0], right.shape[0])
    frame = np.zeros((height, left.shape[1] + right.shape[1], 3), np.uint8)
    frame[: left.shape[0], : left.shape[1]] = left
    frame[: right.shape[0], left.shape[1] :] = right
    detections = analyzer.detect(frame)
    assert len(detections) == 2
    both = analyzer.describe(frame, detections)
    assert both.shape == (2, 128)
    for k, detection in enumerate(detections):
        alone = analyzer.describe(frame, [detection])[0]
        assert float(alone @ both[k]) == pytest.approx(1.0, abs=1e-5)


def test_two_threads_get_the_same_answers(analyzer: FaceAnalyzer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    images = [load(FACES / "Barack_Obama" / "1.jpg"), load(FACES / "Joe_Biden" / "2.jpg")] * 4
    alone = [analyzer.analyze(image)[0].embedding for image in images]
    with ThreadPoolExecutor(max_workers=2) as pool:
        together = list(pool.map(lambda image: analyzer.analyze(image)[0].embedding, images))
    for a, b in zip(alone, together):
        assert a is not None and b is not None and np.allclose(a, b, atol=1e-6)
