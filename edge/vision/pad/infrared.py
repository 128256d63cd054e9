"""Near-infrared: a live face under the camera's NIR light is bright, with the same features as
in the colour frame; a phone or tablet screen emits no NIR and is dark, a dye print loses its
features. Needs an IR camera as a second source (``camera.ir``), registered to the colour one.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from edge.vision.pad.base import PadFrame
from edge.vision.pad.sensor import SensorMethod, SensorSettings, face_region

CHIP = 32  # side of the face crops compared, pixels


class InfraredSettings(SensorSettings):
    type: Literal["infrared"] = "infrared"
    threshold: float = Field(0.5, ge=0, le=1, description="Share of frames failing the IR "
                             "checks at which the track is an attack")
    min_level: float = Field(
        50.0, ge=0, le=255, description="Least mean NIR grey level of the face (skin under the "
        "illuminator; screens read near 0)"
    )
    min_structure: float = Field(
        0.3, ge=-1, le=1, description="Least correlation of the face's edges in the NIR and the "
        "colour frame (the same face at the same place)"
    )

    def build(self) -> InfraredMethod:
        return InfraredMethod(self)


def _edges(chip: np.ndarray) -> np.ndarray:
    chip = cv2.resize(chip.astype(np.float32), (CHIP, CHIP), interpolation=cv2.INTER_AREA)
    magnitude = cv2.magnitude(cv2.Sobel(chip, cv2.CV_32F, 1, 0), cv2.Sobel(chip, cv2.CV_32F, 0, 1))
    return (magnitude - magnitude.mean()).ravel()


class InfraredMethod(SensorMethod):
    name = "infrared"
    settings: InfraredSettings

    def _second(self, frame: PadFrame) -> np.ndarray | None:
        return frame.ir

    def _fails(self, frame: PadFrame, ir: np.ndarray) -> tuple[bool, dict[str, float]]:
        nir = face_region(frame, ir, self.settings.offset_px)
        colour = face_region(frame, frame.image, (0.0, 0.0))
        if nir.size < 16 or colour.size < 16:
            return True, {}
        grey = cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY) if colour.ndim == 3 else colour
        level = float(nir.mean())
        a, b = _edges(nir), _edges(grey)
        norm = float(np.linalg.norm(a) * np.linalg.norm(b))
        structure = float(a @ b) / norm if norm > 0 else 0.0
        fails = level < self.settings.min_level or structure < self.settings.min_structure
        return fails, {"ir_level": level, "ir_structure": structure}
