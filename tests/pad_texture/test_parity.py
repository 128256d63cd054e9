"""Parity: the shipped ONNX model and today's feature code give the scores the trained
scikit-learn model gave at training time on the committed fixture frames (make_fixtures.py,
reference written by models/pad-texture/train.py)."""

from __future__ import annotations

import json

import numpy as np

from edge.vision.config import VisionSettings
from edge.vision.image_io import read_image
from edge.vision.pad.features import frame_features
from edge.vision.pad.texture import TextureMethod, TextureSettings
from edge.vision.types import Box
from tests.pad_texture.conftest import PARITY


def test_features_and_model_reproduce_the_training_reference() -> None:
    method = TextureMethod(TextureSettings(), VisionSettings().models_dir)
    reference = json.loads((PARITY / "reference.json").read_text())
    boxes = json.loads((PARITY / "faces.json").read_text())
    assert sorted(reference) == sorted(boxes) and len(reference) == 9
    for name, want in reference.items():
        features = frame_features(read_image(PARITY / name, max_pixels=10_000_000), Box(*boxes[name]))
        assert features is not None, name
        head = features[: len(want["features_head"])]
        np.testing.assert_allclose(head, want["features_head"], rtol=1e-5, atol=1e-6, err_msg=name)
        assert abs(float(features.astype(np.float64).sum()) - want["features_sum"]) < 1e-3, name
        got = method.frame_probabilities(features[None])[0]
        assert abs(got - want["attack"]) < 1e-5, (name, got, want["attack"])
