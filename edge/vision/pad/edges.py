"""The frame of a printout or a phone: straight edges around the face that move with it.

In each frame, straight segments (Canny edges, probabilistic Hough) are sought in the region
around the face: for each side of the face box, the long segments parallel to that side, outside
the box and alongside it, and their distances to it. A sheet's or a phone's border gives such a
segment that keeps its distance to the face while it moves; a door frame or a shelf behind a
live person also gives segments, but they stay where they are while the face moves. A side
*follows* when one distance recurs (within ``steady``) in most frames; the score is the share of
the four sides that follow, once the face has moved enough to tell (else ``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from edge.vision.pad.base import PadFrame, PadScore
from edge.vision.pad.memo import FrameMemo
from edge.vision.pad.plugin import MethodSettings
from edge.vision.types import Box

FACE_SCALE_PX = 64  # face box width the region is resampled to
SIDES = ("left", "right", "top", "bottom")


class PrintFrameSettings(MethodSettings):
    type: Literal["print_frame"] = "print_frame"
    threshold: float = Field(0.75, ge=0, le=1, description="Share of the face box's four sides with "
                             "a straight edge moving with the face at which the track is an attack")
    context: float = Field(1.0, gt=0.1, le=3, description="How far from the face box edges are "
                           "sought, in face widths")
    min_motion: float = Field(0.1, gt=0, description="Least face travel over the track, in face "
                              "widths, before edges that keep their distance mean anything")
    steady: float = Field(0.05, gt=0, description="Largest change of an edge's distance to the "
                          "face over the track, in face widths, for it to move with the face")
    present: float = Field(0.7, gt=0, le=1, description="Share of frames an edge must be found in")

    def build(self) -> PrintFrameMethod:
        return PrintFrameMethod(self)


def side_distances(frame: PadFrame, context: float) -> dict[str, list[float]]:
    """For each side of the face box, the distances (face widths) of the long straight segments
    parallel to it, outside the box and alongside it; sides without one are absent."""
    box = frame.detection.box
    scale = FACE_SCALE_PX / max(box.w, 1.0)
    height, width = frame.image.shape[:2]
    x0, y0 = max(0, int(box.x - context * box.w)), max(0, int(box.y - context * box.h))
    x1 = min(width, int(box.x + box.w * (1 + context)) + 1)
    y1 = min(height, int(box.y + box.h * (1 + context)) + 1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return {}
    crop = frame.image[y0:y1, x0:x1]
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    grey = cv2.resize(grey, (max(8, round((x1 - x0) * scale)), max(8, round((y1 - y0) * scale))),
                      interpolation=cv2.INTER_AREA)
    edges = cv2.Canny(grey, 50, 150)
    lines = cv2.HoughLinesP(edges, 1, np.pi / 180, threshold=25, minLineLength=int(0.6 * FACE_SCALE_PX),
                            maxLineGap=4)
    face = Box((box.x - x0) * scale, (box.y - y0) * scale, box.w * scale, box.h * scale)
    found: dict[str, list[float]] = {}
    for ax, ay, bx, by in ([] if lines is None else lines.reshape(-1, 4).astype(np.float64)):
        angle = abs(np.degrees(np.arctan2(by - ay, bx - ax))) % 180
        if abs(angle - 90) <= 20:  # vertical: a left or right side
            overlap = min(max(ay, by), face.y + face.h) - max(min(ay, by), face.y)
            if overlap < 0.5 * face.h:
                continue
            x = (ax + bx) / 2
            left = x < face.x + face.w / 2
            side, distance = ("left", face.x - x) if left else ("right", x - face.x - face.w)
        elif angle <= 20 or angle >= 160:  # horizontal: top or bottom
            overlap = min(max(ax, bx), face.x + face.w) - max(min(ax, bx), face.x)
            if overlap < 0.5 * face.w:
                continue
            y = (ay + by) / 2
            top = y < face.y + face.h / 2
            side, distance = ("top", face.y - y) if top else ("bottom", y - face.y - face.h)
        else:
            continue
        if distance > 0:
            found.setdefault(side, []).append(distance / FACE_SCALE_PX)
    return found


def recurs(per_frame: list[list[float]], tolerance: float, frames: float) -> bool:
    """Whether one distance is found, within ``tolerance``, in at least ``frames`` frames."""
    candidates = [d for distances in per_frame for d in distances]
    return any(sum(any(abs(d - c) <= tolerance for d in distances) for distances in per_frame) >= frames
               for c in candidates)


class PrintFrameMethod:
    name = "print_frame"
    window = 1

    def __init__(self, settings: PrintFrameSettings) -> None:
        self.settings = settings
        self._sides: FrameMemo[dict[str, list[float]]] = FrameMemo()

    def digest(self, frame: PadFrame) -> dict[str, list[float]]:
        """The frame's ``side_distances`` (remembered)."""
        return self._sides.get((frame,), partial(side_distances, frame, self.settings.context))

    def score(self, track: Sequence[PadFrame]) -> PadScore | None:
        first = track[0].detection.box
        travel = max(np.hypot(f.detection.box.x + f.detection.box.w / 2 - first.x - first.w / 2,
                              f.detection.box.y + f.detection.box.h / 2 - first.y - first.h / 2)
                     for f in track) / max(first.w, 1.0)
        if travel < self.settings.min_motion:
            return None
        per_frame = [self.digest(f) for f in track]
        needed = self.settings.present * len(track)
        following = sum(recurs([d.get(side, []) for d in per_frame], self.settings.steady, needed)
                        for side in SIDES)
        share = following / len(SIDES)
        return PadScore(self.name, share, self.settings.threshold, len(track),
                        {"sides_following": float(following), "travel": round(float(travel), 4)})
