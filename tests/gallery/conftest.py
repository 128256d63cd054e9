"""Shared, expensive objects of the gallery tests: one vision core, the fixture photos analysed once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from edge.gallery.config import GallerySettings
from edge.vision.config import VisionSettings
from edge.vision.image_io import read_image
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Face

FACES = Path(__file__).parents[1] / "fixtures" / "faces"


@dataclass(frozen=True)
class Photo:
    path: Path
    image: np.ndarray
    face: Face

    @property
    def embedding(self) -> np.ndarray:
        assert self.face.embedding is not None
        return self.face.embedding


@pytest.fixture(scope="session")
def analyzer() -> FaceAnalyzer:
    """The dlib descriptor: the test clouds' and caches' score tables (tests/gallery/cloud.py,
    test_failover.py, test_learn.py) are set in its cosine range, not FaceNet's."""
    return FaceAnalyzer(VisionSettings(descriptor="dlib"))


@pytest.fixture(scope="session")
def photos(analyzer: FaceAnalyzer) -> dict[str, list[Photo]]:
    """Person folder name -> its fixture photos, each with its one analysed face."""
    found: dict[str, list[Photo]] = {}
    for path in sorted(FACES.glob("*/*.jpg")):
        image = read_image(path, max_pixels=VisionSettings().max_image_pixels)
        (face,) = analyzer.analyze(image)
        found.setdefault(path.parent.name, []).append(Photo(path, image, face))
    return found


@pytest.fixture
def gallery_settings() -> GallerySettings:
    return GallerySettings()
