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
from functools import partial
from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from edge.vision.pad.base import PadFrame, PadScore
from edge.vision.pad.memo import FrameMemo
from edge.vision.pad.plugin import MethodSettings
from edge.vision.types import Box

FACE_SCALE_PX = 64  # face box width the pair is resampled to: flow cost does not grow with the face
MIN_POINTS = 6


class RigidMotionSettings(MethodSettings):
    type: Literal["rigid_motion"] = "rigid_motion"
    threshold: float = Field(0.35, ge=0, le=1, description="Share of the points around the face "
                             "moving with the face's plane (times the share of face points on it) "
                             "at which the track is an attack")
    min_motion: float = Field(
        0.04, gt=0, description="Least face motion between two frames to judge them, in face "
        "widths (smaller motions say nothing)"
    )
    min_pairs: int = Field(
        2, ge=1, description="Frames that moved enough (against the first) before the track is "
        "judged: one pair alone is too noisy"
    )
    pairs: int = Field(
        3, ge=1, le=20, description="Newest frames compared with the track's first at each "
        "judgement (more: steadier, slower)"
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


TRAVEL = 0.5  # face widths the face may move from the track's first frame and stay in the region


def _expand(box: Box, margin: float) -> Box:
    return Box(box.x - margin * box.w, box.y - margin * box.h, box.w * (1 + 2 * margin),
               box.h * (1 + 2 * margin))


@dataclass(frozen=True)
class _Region:
    """All a frame's pixels give its anchor: the region around the face (resampled so the face is
    FACE_SCALE_PX wide, about 230 px square with the defaults), in grey."""

    region: tuple[int, int, int, int]  # x0, y0, x1, y1 in frame pixels
    size: tuple[int, int]  # (w, h) of the resampled region
    grey: np.ndarray


@dataclass(frozen=True)
class _Anchor(_Region):
    """The track's first frame, prepared once: its region, the region's corners, and which are
    the face's."""

    corners: np.ndarray  # (N, 1, 2) float32, resampled pixels
    on_face: np.ndarray  # (N,) bool: face corners (the others are the ring's)


class RigidMotionMethod:
    name = "rigid_motion"

    def __init__(self, settings: RigidMotionSettings) -> None:
        self.settings = settings
        self.window = settings.pairs  # the frames compared with the first
        self._regions: FrameMemo[_Region | None] = FrameMemo()
        self._anchors: FrameMemo[_Anchor | None] = FrameMemo()
        self._pairs: FrameMemo[PairMotion | None] = FrameMemo()

    def digest(self, frame: PadFrame) -> _Region | None:
        """The frame's anchor region (remembered): any frame becomes the track's first once an
        undecided track outgrows the stage's ``max_frames``, and its anchor is computed from that."""
        return self._regions.get((frame,), lambda: self._region(frame))

    def score(self, track: Sequence[PadFrame]) -> PadScore | None:
        first = track[0]
        anchor = self._anchors.get((first,), lambda: self._anchor(first))
        if anchor is None:
            return None
        pairs = [self._pairs.get((first, later), partial(self.pair, anchor, later))
                 for later in track[1:][-self.settings.pairs:]]
        moving = [p for p in pairs if p is not None and p.motion >= self.settings.min_motion]
        if len(moving) < self.settings.min_pairs:
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

    def _region(self, frame: PadFrame) -> _Region | None:
        box = frame.detection.box
        scale = FACE_SCALE_PX / max(box.w, 1.0)
        region = _expand(box, self.settings.context + TRAVEL)
        height, width = frame.image.shape[:2]
        x0, y0 = max(0, int(region.x)), max(0, int(region.y))
        x1, y1 = min(width, int(region.x + region.w) + 1), min(height, int(region.y + region.h) + 1)
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        size = (max(8, round((x1 - x0) * scale)), max(8, round((y1 - y0) * scale)))
        return _Region((x0, y0, x1, y1), size, _grey_region(frame.image, (x0, y0, x1, y1), size))

    def _anchor(self, first: PadFrame) -> _Anchor | None:
        region = self.digest(first)
        if region is None:
            return None
        box = first.detection.box
        scale = FACE_SCALE_PX / max(box.w, 1.0)
        margin = self.settings.context
        (x0, y0, _, _), grey = region.region, region.grey

        def mask(outer: float, inner: float | None = None) -> np.ndarray:
            out = np.zeros(grey.shape, np.uint8)
            for value, margin_of in ((255, outer), (0, inner)):
                if margin_of is None:
                    continue
                b = _expand(box, margin_of)
                bx0, by0 = max(0, round((b.x - x0) * scale)), max(0, round((b.y - y0) * scale))
                bx1, by1 = round((b.x + b.w - x0) * scale), round((b.y + b.h - y0) * scale)
                out[by0:by1, bx0:bx1] = value
            return out

        face = cv2.goodFeaturesToTrack(grey, 40, 0.01, 3, mask=mask(-0.1))
        ring = cv2.goodFeaturesToTrack(grey, 80, 0.01, 3, mask=mask(margin, 0.15))
        if face is None or ring is None or len(face) < MIN_POINTS or len(ring) < MIN_POINTS:
            return None
        corners = np.concatenate([face, ring]).astype(np.float32)
        on_face = np.arange(len(corners)) < len(face)
        return _Anchor(region.region, region.size, grey, corners, on_face)

    def pair(self, anchor: _Anchor, later: PadFrame) -> PairMotion | None:
        """How the face and its surroundings moved from the anchor frame to ``later``; None if
        too few points could be followed."""
        grey = _grey_region(later.image, anchor.region, anchor.size)
        moved, status, _ = cv2.calcOpticalFlowPyrLK(anchor.grey, grey, anchor.corners, None,  # type: ignore[call-overload]
                                                    winSize=(11, 11), maxLevel=3)
        back, status_back, _ = cv2.calcOpticalFlowPyrLK(grey, anchor.grey, moved, None,  # type: ignore[call-overload]
                                                        winSize=(11, 11), maxLevel=3)
        good = ((status[:, 0] == 1) & (status_back[:, 0] == 1)
                & (np.linalg.norm((back - anchor.corners)[:, 0, :], axis=1) < 0.5))
        face, ring = good & anchor.on_face, good & ~anchor.on_face
        if face.sum() < MIN_POINTS or ring.sum() < MIN_POINTS:
            return None
        start, end = anchor.corners[:, 0, :], moved[:, 0, :]
        homography, _ = cv2.findHomography(start[face], end[face], cv2.RANSAC, 1.0, maxIters=200)
        if homography is None:
            return None
        motion = float(np.median(np.linalg.norm(end[face] - start[face], axis=1)))
        tolerance = 0.5 + 0.3 * motion

        def on_plane(which: np.ndarray) -> float:
            predicted = cv2.perspectiveTransform(start[which][:, None, :], homography)[:, 0, :]
            return float(np.mean(np.linalg.norm(end[which] - predicted, axis=1) < tolerance))

        return PairMotion(motion / FACE_SCALE_PX, on_plane(ring), on_plane(face))


def _grey_region(image: np.ndarray, region: tuple[int, int, int, int], size: tuple[int, int]) -> np.ndarray:
    x0, y0, x1, y1 = region
    crop = image[y0:y1, x0:x1]
    if crop.ndim == 3:
        crop = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
