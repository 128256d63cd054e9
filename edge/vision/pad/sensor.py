"""What the hardware methods share: the face's region in a second sensor's frame, and failing
closed when that sensor delivers nothing."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import Field

from edge.vision.pad.base import PadFrame, PadScore
from edge.vision.pad.memo import FrameMemo
from edge.vision.pad.plugin import MethodSettings


class SensorSettings(MethodSettings):
    offset_px: tuple[float, float] = Field(
        (0.0, 0.0), description="Where the second sensor sees a point, minus where the colour "
        "camera sees it once scaled to the second frame's size: (dx, dy) pixels of the second "
        "frame (0, 0 for sensors registered by the hardware, e.g. RealSense 'align')"
    )


def face_region(frame: PadFrame, second: np.ndarray, offset: tuple[float, float],
                shrink: float = 0.1) -> np.ndarray:
    """The face box's pixels in ``second`` (a frame of another sensor, registered to the image
    up to a scale and ``offset``); ``shrink`` trims each side by that share of the box."""
    sy, sx = second.shape[0] / frame.image.shape[0], second.shape[1] / frame.image.shape[1]
    box = frame.detection.box
    x0 = int((box.x + shrink * box.w) * sx + offset[0])
    y0 = int((box.y + shrink * box.h) * sy + offset[1])
    x1 = int((box.x + (1 - shrink) * box.w) * sx + offset[0])
    y1 = int((box.y + (1 - shrink) * box.h) * sy + offset[1])
    return second[max(0, y0):max(0, y1), max(0, x0):max(0, x1)]


FrameOutcome = tuple[bool, dict[str, float]] | None  # (fails, measures); None: no second-sensor frame


class SensorMethod:
    """A hardware method: each frame fails or passes on its second-sensor view (``_fails``), and
    the track's score is the share of failing frames. Frames without a second-sensor frame fail:
    a configured IR or depth camera that stopped delivering makes the track an attack (the door
    fails closed rather than skipping PAD)."""

    name: str
    window = 1

    def __init__(self, settings: SensorSettings) -> None:
        self.settings = settings
        self._outcomes: FrameMemo[FrameOutcome] = FrameMemo()

    def _second(self, frame: PadFrame) -> np.ndarray | None:
        raise NotImplementedError

    def _fails(self, frame: PadFrame, view: np.ndarray) -> tuple[bool, dict[str, float]]:
        raise NotImplementedError

    def digest(self, frame: PadFrame) -> FrameOutcome:
        """The frame's outcome (remembered)."""
        def judge() -> FrameOutcome:
            view = self._second(frame)
            return None if view is None else self._fails(frame, view)

        return self._outcomes.get((frame,), judge)

    def score(self, track: Sequence[PadFrame]) -> PadScore:
        """The share of the track's frames whose second-sensor view fails (or is missing)."""
        failing = 0
        measures: dict[str, list[float]] = {}
        seen = 0
        for outcome in map(self.digest, track):
            if outcome is None:
                failing += 1
                continue
            seen += 1
            fails, values = outcome
            failing += fails
            for key, value in values.items():
                measures.setdefault(key, []).append(value)
        details = {key: round(float(np.median(values)), 4) for key, values in measures.items()}
        details["sensor_frames"] = float(seen)
        return PadScore(self.name, failing / max(len(track), 1), self.settings.threshold, len(track), details)
