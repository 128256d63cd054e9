"""Aligned face chips for the appearance cues (``blink``, ``specular``): each frame's face warped
by a similarity transform from the detector's eyes and mouth onto one small template, so that the
same pixel of the chip is the same part of the face in every frame of a track.

Chip: ``CHIP_SIZE`` (64) px square, eyes at ``RIGHT_EYE_XY`` / ``LEFT_EYE_XY``, the mouth centre at
``MOUTH_XY`` (the proportions of dlib's 150 px chip, ``edge/vision/descriptors.py``, scaled).
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.vision.align import align
from edge.vision.descriptors import DLIB_CHIP, ChipGeometry
from edge.vision.pad.base import PadFrame

CHIP_SIZE = 64
PAD_CHIP = ChipGeometry(CHIP_SIZE, tuple((x * CHIP_SIZE / DLIB_CHIP.size, y * CHIP_SIZE / DLIB_CHIP.size)
                                         for x, y in DLIB_CHIP.template))
RIGHT_EYE_XY, LEFT_EYE_XY, MOUTH_XY = PAD_CHIP.template


def colour_chip(frame: PadFrame) -> np.ndarray:
    """The face of ``frame`` aligned onto ``PAD_CHIP``: (64, 64, 3) float32 BGR, 0..255."""
    return align(frame.image, frame.detection.keypoints, PAD_CHIP).astype(np.float32)


def grey_chip(frame: PadFrame) -> np.ndarray:
    """``colour_chip`` in grey: (64, 64) float32, 0..255."""
    chip = colour_chip(frame)
    return cv2.cvtColor(chip, cv2.COLOR_BGR2GRAY) if chip.ndim == 3 else chip


def patch(chip: np.ndarray, centre: tuple[float, float], half: tuple[int, int]) -> np.ndarray:
    """The (2 half_h, 2 half_w) window of ``chip`` around ``centre`` (x, y), clipped to the chip."""
    x, y = round(centre[0]), round(centre[1])
    return chip[max(0, y - half[1]):y + half[1], max(0, x - half[0]):x + half[0]]
