"""Where the emulator's faces and scores come from: the appliance's own vision core.

A cosine similarity becomes a 0-1 SenseTime confidence through the false-accept rate it stands
for: ``far = calibration.far_for(cosine)`` (the local descriptor's measured table), then the
score SenseTime documents for that rate (0.6 -> 1e-3, ...). So the emulator's confidences mean
what the document says they mean, for the model that produced them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from edge.identify.sensetime.config import SENSETIME_TABLE
from edge.identify.thresholds import FarTable
from edge.vision.config import VisionSettings
from edge.vision.types import LEFT_EYE, RIGHT_EYE, Box

# Below the document's first row (0.4 -> 1e-1) the emulator needs somewhere to go: 0.0 stands
# for a false-accept rate of one in two. The documented rows are unchanged.
_FLOOR = (0.0, 0.5)


@dataclass(frozen=True)
class SeenFace:
    box: Box
    keypoints: list[list[float]]  # (6, 2) frame pixels
    embedding: np.ndarray  # float32, L2-normalized

    @property
    def eye_dist(self) -> float:
        left, right = np.array(self.keypoints[LEFT_EYE]), np.array(self.keypoints[RIGHT_EYE])
        return float(np.linalg.norm(left - right))


class Calibration(Protocol):
    def far_for(self, score: float) -> float: ...


class FaceEngine(Protocol):
    def faces(self, image_bgr: np.ndarray) -> list[SeenFace]:
        """Faces of a BGR image with their embeddings, largest first."""
        ...

    def confidence(self, cosine: float) -> float:
        """A cosine similarity on SenseTime's 0-1 scale."""
        ...


class CalibratedScale:
    """cosine -> false-accept rate (local calibration) -> SenseTime score (documented table)."""

    def __init__(self, far_for_cosine: Calibration) -> None:
        self._calibration = far_for_cosine
        self._sensetime = FarTable.from_pairs("0-1", [*SENSETIME_TABLE, _FLOOR], "sensetime table")

    def confidence(self, cosine: float) -> float:
        far = self._calibration.far_for(cosine)
        return round(self._sensetime.threshold_for(far).score, 4)


class VisionEngine(CalibratedScale):
    """The vision core's :class:`FaceAnalyzer` and the descriptor's shipped calibration."""

    def __init__(self, vision: VisionSettings) -> None:
        from edge.identify.local.calibration import load_calibration
        from edge.vision.pipeline import FaceAnalyzer

        super().__init__(load_calibration(None, vision.models_dir))
        self._analyzer = FaceAnalyzer(vision)

    def faces(self, image_bgr: np.ndarray) -> list[SeenFace]:
        return [
            SeenFace(f.detection.box, f.detection.keypoints.astype(float).tolist(), f.embedding)
            for f in self._analyzer.analyze(image_bgr)
            if f.embedding is not None
        ]
