"""Depth: a print or a screen is flat. A plane is fitted to the depth inside the face box; a live
face stands out of it (nose, eye sockets, cheeks: 8-15 mm RMS at arm's length). Needs a depth
camera as a second source (``camera.depth``), registered to the colour one.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from edge.vision.pad.base import PadFrame
from edge.vision.pad.sensor import SensorMethod, SensorSettings, face_region


class DepthSettings(SensorSettings):
    type: Literal["depth"] = "depth"
    threshold: float = Field(0.5, ge=0, le=1, description="Share of frames failing the depth "
                             "check at which the track is an attack")
    min_relief_mm: float = Field(
        4.0, gt=0, description="Least RMS distance of the face's depth from its best plane, mm "
        "(a flat print or screen reads the sensor's noise, 1-2 mm for structured light at 0.5 m)"
    )
    min_valid: float = Field(0.5, gt=0, le=1, description="Least share of face pixels with a reading")

    def build(self) -> DepthMethod:
        return DepthMethod(self)


def plane_relief(depth: np.ndarray) -> tuple[float, float]:
    """(RMS residual from the least-squares plane z = a x + b y + c, in the depth's unit; share of
    pixels with a reading) of a depth crop where 0 means no reading."""
    ys, xs = np.nonzero(depth > 0)
    valid = len(xs) / max(depth.size, 1)
    if len(xs) < 10:
        return 0.0, valid
    z = depth[ys, xs].astype(np.float64)
    design = np.column_stack([xs, ys, np.ones_like(xs)]).astype(np.float64)
    coefficients, *_ = np.linalg.lstsq(design, z, rcond=None)
    return float(np.sqrt(np.mean((z - design @ coefficients) ** 2))), valid


class DepthMethod(SensorMethod):
    name = "depth"
    settings: DepthSettings

    def _second(self, frame: PadFrame) -> np.ndarray | None:
        return frame.depth

    def _fails(self, frame: PadFrame, depth: np.ndarray) -> tuple[bool, dict[str, float]]:
        relief, valid = plane_relief(face_region(frame, depth, self.settings.offset_px))
        relief_mm = relief * 1000
        fails = valid < self.settings.min_valid or relief_mm < self.settings.min_relief_mm
        return fails, {"relief_mm": relief_mm, "valid": valid}
