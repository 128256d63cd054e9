"""One FaceAnalyzer (real models from models/) shared by the vision tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge.vision.config import VisionSettings
from edge.vision.image_io import read_image
from edge.vision.pipeline import FaceAnalyzer

FACES = Path(__file__).resolve().parents[1] / "fixtures" / "faces"
NO_FACE = Path(__file__).resolve().parents[1] / "fixtures" / "vision" / "chelsea.jpg"
ASTRONAUT = FACES / "Eileen_Collins" / "1.jpg"


@pytest.fixture(scope="session")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer(VisionSettings())


def load(path: Path) -> np.ndarray:
    return read_image(path, max_pixels=VisionSettings().max_image_pixels)
