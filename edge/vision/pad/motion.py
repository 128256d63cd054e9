"""Rigid-plane motion: a photo or a screen moves as one plane, with its surroundings on it.

Between two frames of a track, corners inside the face box and in a ring around it are tracked
by pyramidal Lucas-Kanade optical flow (forward-backward checked) from the track's first frame
to its newest ones (motion accumulates over the track). A homography is fitted to the
face's points; on a printout or a phone the points of the ring (the paper, the bezel, the hand
holding it) follow that same homography, while around a live head the background stays where it
is (parallax) and the head moves on its own. The score is the share of ring points that follow
the face's plane times the share of face points on it (a live face also bends: expressions,
head turns), the median over the pairs of frames in which the face moved enough to judge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from edge.vision.pad.base import PadFrame, PadScore
from edge.vision.pad.plugin import MethodSettings
from edge.vision.types import Box

FACE_SCALE_PX = 64  # face box width the pair is resampled to: flow cost does not grow with the face
MIN_POINTS = 6


class RigidMotionSettings(MethodSettings):
    type: Literal["rigid_motion"] = "rigid_motion"
    threshold: float = Field(0.6, ge=0, le=1, description="Share of surrounding points moving "
                             "with the face's plane at which the track is an attack")
    min_motion: float = Field(
        0.03, gt=0, description="Least face motion between two frames to judge them, in face "
        "widths (smaller motions say nothing)"
    )
    pairs: int = Field(
        3, ge=1, le=20, description="Frames compared with the track's first (the newest ones): "
        "(the cost of one judgement grows with it)"
    )
    context: float = Field(
        0.8, gt=0.2, le=2, description="Width of the ring around the face box, in face widths"
    )

    def build(self) -> RigidMotionMethod:
        return RigidMotionMethod(self)


@dataclass(frozen=True)
class PairMotion:
    motion: float  # median face point displacement, face widths
    ring_follows: float  # share of ring points on the face's homography, 0..1
    face_rigid: float  # share of face points on it, 0..1


def _expand(box: Box, margin: float) -> Box:
    return Box(box.x - margin * box.w, box.y - margin * box.h, box.w * (1 + 2 * margin),
               box.h * (1 + 2 * margin))


def _grey(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


class RigidMotionMethod:
    name = "rigid_motion"

    def __init__(self, settings: RigidMotionSettings) -> None:
        self.settings = settings

    def score(self, track: Sequence[PadFrame]) -> PadScore | None:
        pairs = [self.pair(track[0], later) for later in track[1:][-self.settings.pairs:]]
        moving = [p for p in pairs if p is not None and p.motion >= self.settings.min_motion]
        if not moving:
            return None
        planar = float(np.median([p.ring_follows * p.face_rigid for p in moving]))
        return PadScore(
            self.name, planar, self.settings.threshold, frames_used=len(moving) + 1,
            details={
                "ring_follows": round(float(np.median([p.ring_follows for p in moving])), 4),
                "face_rigid": round(float(np.median([p.face_rigid for p in moving])), 4),
                "motion": round(float(np.median([p.motion for p in moving])), 4),
                "pairs": float(len(moving)),
            },
        )

    def pair(self, first: PadFrame, second: PadFrame) -> PairMotion | None:
        """How the face and its surroundings moved between two frames; None if too few points."""
        a, b = first.detection.box, second.detection.box
        scale = FACE_SCALE_PX / max(a.w, 1.0)
        margin = self.settings.context
        region = _expand(Box(min(a.x, b.x), min(a.y, b.y), max(a.x + a.w, b.x + b.w) - min(a.x, b.x),
                             max(a.y + a.h, b.y + b.h) - min(a.y, b.y)), margin * a.w / max(a.h, 1.0))
        height, width = first.image.shape[:2]
        x0, y0 = max(0, int(region.x)), max(0, int(region.y))
        x1, y1 = min(width, int(region.x + region.w) + 1), min(height, int(region.y + region.h) + 1)
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        size = (max(8, round((x1 - x0) * scale)), max(8, round((y1 - y0) * scale)))
        grey0 = cv2.resize(_grey(first.image)[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
        grey1 = cv2.resize(_grey(second.image)[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)

        def local(box: Box) -> tuple[int, int, int, int]:
            return (round((box.x - x0) * scale), round((box.y - y0) * scale),
                    round((box.x + box.w - x0) * scale), round((box.y + box.h - y0) * scale))

        face_mask = np.zeros(grey0.shape, np.uint8)
        fx0, fy0, fx1, fy1 = local(_expand(a, -0.1))
        face_mask[max(fy0, 0):fy1, max(fx0, 0):fx1] = 255
        ring_mask = np.zeros(grey0.shape, np.uint8)
        rx0, ry0, rx1, ry1 = local(_expand(a, margin))
        ring_mask[max(ry0, 0):ry1, max(rx0, 0):rx1] = 255
        hx0, hy0, hx1, hy1 = local(_expand(a, 0.15))
        ring_mask[max(hy0, 0):hy1, max(hx0, 0):hx1] = 0
        face = self._tracked(grey0, grey1, face_mask, 40)
        ring = self._tracked(grey0, grey1, ring_mask, 80)
        if face is None or ring is None:
            return None
        homography, _ = cv2.findHomography(face[0], face[1], cv2.LMEDS)
        if homography is None:
            return None
        motion = float(np.median(np.linalg.norm(face[1] - face[0], axis=1)))
        tolerance = 0.5 + 0.3 * motion

        def on_plane(points: tuple[np.ndarray, np.ndarray]) -> float:
            predicted = cv2.perspectiveTransform(points[0][:, None, :], homography)[:, 0, :]
            return float(np.mean(np.linalg.norm(points[1] - predicted, axis=1) < tolerance))

        return PairMotion(motion / FACE_SCALE_PX, on_plane(ring), on_plane(face))

    @staticmethod
    def _tracked(grey0: np.ndarray, grey1: np.ndarray, mask: np.ndarray,
                 most: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Corners of ``mask`` in ``grey0`` and where they are in ``grey1`` (reliable ones only)."""
        corners = cv2.goodFeaturesToTrack(grey0, most, 0.01, 3, mask=mask)
        if corners is None or len(corners) < MIN_POINTS:
            return None
        moved, status, _ = cv2.calcOpticalFlowPyrLK(grey0, grey1, corners, None,  # type: ignore[call-overload]
                                                    winSize=(11, 11), maxLevel=3)
        back, status_back, _ = cv2.calcOpticalFlowPyrLK(grey1, grey0, moved, None,  # type: ignore[call-overload]
                                                        winSize=(11, 11), maxLevel=3)
        good = ((status[:, 0] == 1) & (status_back[:, 0] == 1)
                & (np.linalg.norm((back - corners)[:, 0, :], axis=1) < 0.5))
        if good.sum() < MIN_POINTS:
            return None
        return corners[good, 0, :], moved[good, 0, :]
