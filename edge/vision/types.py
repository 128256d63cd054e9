"""What the vision core hands to the rest of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Keypoint order of the BlazeFace detectors (image coordinates, the person's right eye is on
# the image's left).
RIGHT_EYE, LEFT_EYE, NOSE, MOUTH, RIGHT_EAR, LEFT_EAR = range(6)


@dataclass(frozen=True)
class Box:
    """Axis-aligned box in frame pixels."""

    x: float
    y: float
    w: float
    h: float

    def iou(self, other: Box) -> float:
        ix = max(0.0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0.0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.w * self.h + other.w * other.h - inter
        return inter / union if union > 0 else 0.0

    def as_list(self) -> list[float]:
        return [round(self.x, 1), round(self.y, 1), round(self.w, 1), round(self.h, 1)]


@dataclass(frozen=True)
class Detection:
    box: Box
    score: float
    keypoints: np.ndarray  # (6, 2) float32, frame pixels, order as above


@dataclass(frozen=True)
class Quality:
    """Quality gates of one face: ``ok`` when no gate objects; each objection has a reason."""

    reasons: tuple[str, ...] = ()
    measures: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class Liveness:
    """Weak per-frame liveness signals (0..1, higher = more likely a live face); None = not run."""

    live: float | None = None
    antispoof: float | None = None

    def scores(self) -> dict[str, float]:
        """The signals that were run, by name (empty when ``vision.liveness`` is off)."""
        return {name: score for name, score in (("live", self.live), ("antispoof", self.antispoof))
                if score is not None}


@dataclass(frozen=True)
class Face:
    """One analysed face: detection, quality, liveness and (if described) its embedding."""

    detection: Detection
    quality: Quality
    liveness: Liveness
    embedding: np.ndarray | None  # (D,) float32, L2-normalized; similarity = dot product
