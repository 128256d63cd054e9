"""What the emulator needs from a face engine, and the one built on the appliance's vision core."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from edge.emulators.images import decode_within
from edge.emulators.youtu.scores import ScoreMap
from edge.identify.local.calibration import load_calibration
from edge.identify.thresholds import FarTable
from edge.vision.config import VisionSettings
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import LEFT_EYE, RIGHT_EYE, Box, Face


@dataclass(frozen=True)
class FoundFace:
    box: Box
    embedding: np.ndarray  # float32, L2-normalized
    roll: float  # degrees, from the eye line
    yaw: float
    pitch: float


class FaceEngine(Protocol):
    def find(self, image: bytes) -> list[FoundFace]:
        """The described faces, largest first; raises :class:`edge.errors.BadImage`."""
        ...

    def score(self, cosine: float) -> float:
        """Similarity on YouTu's 0-100 scale."""
        ...

    def score_for_far(self, far: float) -> float: ...


def _found(face: Face) -> FoundFace | None:
    if face.embedding is None:
        return None
    eyes = face.detection.keypoints
    dx, dy = (eyes[LEFT_EYE] - eyes[RIGHT_EYE]).tolist()
    measures = face.quality.measures
    return FoundFace(
        box=face.detection.box,
        embedding=np.asarray(face.embedding, dtype=np.float32),
        roll=round(math.degrees(math.atan2(dy, dx)), 1),
        yaw=round(float(measures.get("yaw_deg", 0.0)), 1),
        pitch=round(float(measures.get("pitch_deg", 0.0)), 1),
    )


class VisionEngine:
    """Real detection and descriptors (``FaceAnalyzer``), scores through :class:`ScoreMap`."""

    def __init__(self, vision_settings: VisionSettings, calibration: FarTable, youtu_table: FarTable) -> None:
        self._settings = vision_settings
        self._analyzer = FaceAnalyzer(vision_settings)
        self._scores = ScoreMap(calibration, youtu_table)
        self._lock = threading.Lock()

    @classmethod
    def shipped(cls, vision_settings: VisionSettings, youtu_table: FarTable) -> VisionEngine:
        """With the calibration shipped next to the descriptor model."""
        return cls(vision_settings, load_calibration(None, vision_settings), youtu_table)

    def find(self, image: bytes) -> list[FoundFace]:
        frame = decode_within(image)
        with self._lock:
            faces = self._analyzer.analyze(frame)
        found = [f for f in map(_found, faces) if f is not None]
        return sorted(found, key=lambda f: f.box.w * f.box.h, reverse=True)

    def score(self, cosine: float) -> float:
        return self._scores.score(cosine)

    def score_for_far(self, far: float) -> float:
        return self._scores.score_for_far(far)
