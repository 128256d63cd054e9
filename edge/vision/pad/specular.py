"""Specular flatness: a print or a screen is one flat, evenly reflecting sheet; a face is curved.

Under the door's light, a flat sheet that moves changes its brightness as one smooth field (one
surface normal: the whole sheet brightens or darkens together, with at most a gradient across
it), and its own gloss spreads as a broad sheen. A live face that moves catches and loses light on
its own curved parts: the side of the nose, the cheekbones and the forehead shade differently, and
its specular highlights (nose tip, forehead) move over the face (Lambertian shading of a curved
surface plus the dichromatic model's highlights; Wen, Han and Jain, "Face spoof detection with
image distortion analysis", IEEE TIFS 2015, use the same physics in one frame).

From the track's first frame to each later one, the aligned face chips (:mod:`edge.vision.pad.chips`,
blurred) are registered onto each other by the best homography (ECC, Evangelidis and Psarakis,
IEEE TPAMI 2008: invariant to a change of gain and bias; it removes what is left of the keypoints'
misalignment, and all of a plane's motion) and give a log-brightness change over the skin
(forehead, cheeks, nose; eyes and mouth left out). A plane ``a + b x + c y`` is fitted
to it (least squares): on a sheet it explains the change, on a face the residual remains. Score =
``1 - residual / scale`` (clipped to 0..1): high = flat = attack; the median over the frames where
the brightness changed at all (``min_change``), else ``None`` (nothing to judge under steady light
and a still face).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, partial
from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from edge.vision.pad.base import PadFrame, PadScore
from edge.vision.pad.chips import CHIP_SIZE, LEFT_EYE_XY, MOUTH_XY, RIGHT_EYE_XY, grey_chip
from edge.vision.pad.memo import FrameMemo
from edge.vision.pad.plugin import MethodSettings

BLUR_SIGMA = 2.0  # chip px (eye distance 24 px): pixel noise and JPEG blocks away, shading kept
LOG_OFFSET = 8.0  # grey levels added before the log: dark pixels' noise does not explode
ECC_CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-4)


class SpecularSettings(MethodSettings):
    type: Literal["specular"] = "specular"
    threshold: float = Field(0.5, ge=0, le=1, description="Flatness (1 - residual / scale) at "
                             "which the track is an attack")
    scale: float = Field(0.03, gt=0, description="Residual log-brightness change (natural log "
                         "units, after the best plane) at which a face counts as fully curved")
    min_change: float = Field(0.015, gt=0, description="Least RMS log-brightness change of the skin "
                              "from the first frame for a frame to be judged")
    min_pairs: int = Field(2, ge=1, description="Frames that changed enough before the track is judged")

    def build(self) -> SpecularMethod:
        return SpecularMethod(self)


@cache
def skin_design() -> tuple[np.ndarray, np.ndarray]:
    """(mask (64, 64) bool of the skin windows, design matrix (n, 3) [1, x, y] of its pixels).

    Chip px, eye distance 24: an ellipse of 52 x 60 over the face, less a 15 x 11 window on each
    eye and a 21 x 11 one on the mouth (they move on their own: blinks, speech)."""
    ys, xs = np.mgrid[0:CHIP_SIZE, 0:CHIP_SIZE].astype(np.float64)
    centre_x = (RIGHT_EYE_XY[0] + LEFT_EYE_XY[0]) / 2
    face = ((xs - centre_x) / 26) ** 2 + ((ys - 32) / 30) ** 2 <= 1
    eyes = np.zeros_like(face)
    for ex, ey in (RIGHT_EYE_XY, LEFT_EYE_XY):
        eyes |= (np.abs(xs - ex) <= 7) & (np.abs(ys - ey) <= 5)
    mouth = (np.abs(xs - MOUTH_XY[0]) <= 10) & (np.abs(ys - MOUTH_XY[1]) <= 5)
    mask = face & ~eyes & ~mouth
    scaled = np.column_stack([np.ones(mask.sum()), xs[mask] / CHIP_SIZE, ys[mask] / CHIP_SIZE])
    return mask, scaled


def blurred_chip(frame: PadFrame) -> np.ndarray:
    """The frame's aligned grey chip, blurred: (64, 64) float32."""
    return cv2.GaussianBlur(grey_chip(frame), (0, 0), BLUR_SIGMA)


def registered(first: np.ndarray, later: np.ndarray) -> np.ndarray | None:
    """``later`` warped onto ``first`` by the ECC homography; None when ECC does not converge."""
    try:
        _, warp = cv2.findTransformECC(first, later, np.eye(3, dtype=np.float32), cv2.MOTION_HOMOGRAPHY,
                                       ECC_CRITERIA)
    except cv2.error:
        return None
    return cv2.warpPerspective(later, warp, (CHIP_SIZE, CHIP_SIZE),
                               flags=cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP)


def change_residual(first: np.ndarray, later: np.ndarray) -> tuple[float, float] | None:
    """(RMS log-brightness change of the skin, RMS residual after the best plane) from the chip
    ``first`` to the chip ``later`` once registered; None when they cannot be registered."""
    aligned = registered(first, later)
    if aligned is None:
        return None
    mask, design = skin_design()
    change = np.log(aligned[mask].astype(np.float64) + LOG_OFFSET) - np.log(first[mask].astype(np.float64)
                                                                          + LOG_OFFSET)
    coefficients, *_ = np.linalg.lstsq(design, change, rcond=None)
    rms = float(np.sqrt(np.mean((change - change.mean()) ** 2)))
    return rms, float(np.sqrt(np.mean((change - design @ coefficients) ** 2)))


class SpecularMethod:
    name = "specular"
    window = 1

    def __init__(self, settings: SpecularSettings) -> None:
        self.settings = settings
        self._chips: FrameMemo[np.ndarray] = FrameMemo()
        self._pairs: FrameMemo[tuple[float, float] | None] = FrameMemo()

    def digest(self, frame: PadFrame) -> np.ndarray:
        """The frame's blurred chip (remembered): the pairs need nothing else of its pixels."""
        return self._chips.get((frame,), partial(blurred_chip, frame))

    def score(self, track: Sequence[PadFrame]) -> PadScore | None:
        first = self.digest(track[0])
        pairs = [self._pairs.get((track[0], later), partial(change_residual, first, self.digest(later)))
                 for later in track[1:]]
        judged = [p[1] for p in pairs if p is not None and p[0] >= self.settings.min_change]
        if len(judged) < self.settings.min_pairs:
            return None
        residual = float(np.median(judged))
        flatness = float(np.clip(1 - residual / self.settings.scale, 0, 1))
        return PadScore(self.name, round(flatness, 4), self.settings.threshold, len(judged) + 1,
                        {"residual": round(residual, 4), "pairs": float(len(judged))})
