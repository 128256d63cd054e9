"""Where the emulator's faces, landmarks and scores come from: the appliance's own vision core.

A cosine similarity becomes a 0-1 SenseTime confidence through the false-accept rate it stands
for: ``far = calibration.far_for(cosine)`` (the local descriptor's measured table), then the
score SenseTime documents for that rate (0.6 -> 1e-3, ...). So the emulator's confidences mean
what the document says they mean, for the model that produced them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from edge.identify.sensetime.config import SENSETIME_TABLE
from edge.identify.thresholds import FarTable
from edge.vision.config import VisionSettings
from edge.vision.types import LEFT_EYE, RIGHT_EYE, Box

# Beyond the document's rows (0.4 -> 1e-1 ... 0.9 -> 1e-6) the emulator needs somewhere to go:
# 0.0 stands for one in two, 1.0 for one in 1e8. The documented rows are unchanged.
_ENDS = [(0.0, 0.5), (1.0, 1e-8)]


@dataclass(frozen=True)
class SeenFace:
    box: Box
    keypoints: list[list[float]]  # (6, 2) frame pixels
    embedding: np.ndarray  # float32, L2-normalized
    landmarks21: list[list[float]] | None = None  # (21, 2) frame pixels; None if the mesh disagrees

    @property
    def eye_dist(self) -> float:
        left, right = np.array(self.keypoints[LEFT_EYE]), np.array(self.keypoints[RIGHT_EYE])
        return float(np.linalg.norm(left - right))


class FaceEngine(Protocol):
    def faces(self, image_bgr: np.ndarray) -> list[SeenFace]:
        """Faces of a BGR image with their embeddings and SenseTime's 21 points, largest first."""
        ...

    def confidence(self, cosine: float) -> float:
        """A cosine similarity on SenseTime's 0-1 scale."""
        ...


class CalibratedScale:
    """cosine -> false-accept rate (local calibration) -> SenseTime score (documented table).

    A calibration measured on a few thousand impostor pairs ends near 1e-3, which SenseTime
    calls 0.6 exactly; genuine pairs lie beyond it. Past its last row the rate continues the last
    segment's log-linear slope, so a clear match scores above the 0.6 cut as it would in the cloud.
    """

    def __init__(self, calibration: FarTable) -> None:
        self._calibration = calibration
        self._sensetime = FarTable.from_pairs("0-1", [*SENSETIME_TABLE, *_ENDS], "sensetime table")

    def far(self, cosine: float) -> float:
        (s0, f0), (s1, f1) = self._calibration.points[-2:]
        if cosine <= s1:
            return self._calibration.far_for(cosine)
        slope = (math.log(f1) - math.log(f0)) / (s1 - s0)
        return max(math.exp(math.log(f1) + slope * (cosine - s1)), 1e-12)

    def confidence(self, cosine: float) -> float:
        return round(self._sensetime.threshold_for(self.far(cosine)).score, 4)


class VisionEngine(CalibratedScale):
    """The vision core's :class:`FaceAnalyzer`, the face mesh (``landmarks21``, which the API
    computes for every detection) and the descriptor's shipped calibration."""

    def __init__(self, vision: VisionSettings) -> None:
        from edge.identify.local.calibration import load_calibration
        from edge.vision.mesh import FaceMesh
        from edge.vision.pipeline import FaceAnalyzer

        super().__init__(load_calibration(None, vision))
        self._analyzer = FaceAnalyzer(vision)
        self._mesh = FaceMesh.shipped(vision)

    def faces(self, image_bgr: np.ndarray) -> list[SeenFace]:
        from edge.emulators.sensetime.landmarks import landmarks21
        from edge.vision.mesh import MIN_PRESENCE

        found = [(f.detection, f.embedding) for f in self._analyzer.analyze(image_bgr)
                 if f.embedding is not None]
        meshes = self._mesh.landmarks(image_bgr, [detection for detection, _ in found])
        return [
            SeenFace(detection.box, detection.keypoints.astype(float).tolist(), embedding,
                     landmarks21(mesh.points) if mesh.score >= MIN_PRESENCE else None)
            for (detection, embedding), mesh in zip(found, meshes)
        ]
