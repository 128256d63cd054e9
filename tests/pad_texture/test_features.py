"""Texture features: the LBP coding, the vector's size, and when a face gives none."""

from __future__ import annotations

import numpy as np

from edge.vision.pad.features import FEATURE_DIM, LBP_BINS, MIN_FACE_PX, frame_features, lbp_histogram
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Box
from tests.pad_texture.conftest import largest_face, photo


def test_a_flat_patch_is_one_uniform_pattern() -> None:
    histogram = lbp_histogram(np.full((10, 10), 77, np.uint8))
    assert histogram.shape == (LBP_BINS,) and histogram.max() == 1.0  # all codes 11111111


def test_a_one_pixel_checkerboard_is_half_non_uniform() -> None:
    board = (np.indices((12, 12)).sum(axis=0) % 2 * 200).astype(np.uint8)
    histogram = lbp_histogram(board)
    # dark centres see 8 brighter-or-equal neighbours (uniform 11111111); bright centres see
    # 10101010 (8 transitions: the non-uniform bin, the last)
    assert np.isclose(histogram[-1], 0.5) and np.isclose(histogram.max(), 0.5)


def test_a_face_gives_one_finite_vector_and_a_tiny_or_lost_face_none(analyzer: FaceAnalyzer) -> None:
    image = photo("Eileen_Collins/1.jpg")
    box = largest_face(analyzer, image)
    features = frame_features(image, box)
    assert features is not None and features.shape == (FEATURE_DIM,) and features.dtype == np.float32
    assert np.isfinite(features).all()
    assert frame_features(image, Box(box.x, box.y, MIN_FACE_PX - 1, MIN_FACE_PX - 1)) is None
    assert frame_features(image, Box(image.shape[1] - 5, 10, 100, 100)) is None  # mostly off the frame
    flat = np.full_like(image, 128)
    assert not np.allclose(frame_features(flat, box), features)  # the features look at the pixels
