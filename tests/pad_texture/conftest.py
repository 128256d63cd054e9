"""Shared pieces of the texture PAD tests: the detector and the allowed fixture photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge.vision.config import VisionSettings
from edge.vision.image_io import read_image
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Box

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PARITY = FIXTURES / "pad-texture"


@pytest.fixture(scope="session")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer(VisionSettings())


def photo(name: str) -> np.ndarray:
    return read_image(FIXTURES / "faces" / name, max_pixels=VisionSettings().max_image_pixels)


def largest_face(analyzer: FaceAnalyzer, image: np.ndarray) -> Box:
    return max(analyzer.detect(image), key=lambda d: d.box.w).box
