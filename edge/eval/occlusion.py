"""``edge eval occlusion``: the occlusion gate on real faces, bare and with drawn occluders.

No set of real masked or sunglassed faces is at hand, so occluders are SIMULATED on real photos:
a face mask (surgical blue, white, black, grey, a random colour, or stripes of two) from the
nose bridge to under the chin and from cheek to cheek, shaded and noisy; or dark tinted
sunglasses (two ellipses and a bridge) over the eyes. They are placed from the detector's
keypoints on the bare photo with random size, position and colour, and the gate then runs on the
whole pipeline (detection again, alignment, quality) of the occluded photo. Flat drawn occluders
are easier than real ones (no folds, straps or reflections): read the rates as an upper bound.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from edge.vision.image_io import read_image
from edge.vision.types import LEFT_EYE, MOUTH, RIGHT_EYE

if TYPE_CHECKING:
    from edge.vision.pipeline import FaceAnalyzer

MASK_COLOURS = {"surgical": (225, 200, 160), "white": (240, 240, 235), "black": (30, 30, 30),
                "grey": (140, 140, 140)}  # BGR; "colour" and "stripes" draw random ones
MASK_KINDS = (*MASK_COLOURS, "colour", "stripes")


def _random_colour(rng: np.random.Generator) -> tuple[int, int, int]:
    b, g, r = rng.integers(0, 256, 3)
    return int(b), int(g), int(r)


def draw_mask(image: np.ndarray, keypoints: np.ndarray, rng: np.random.Generator,
              kind: str | None = None) -> np.ndarray:
    """``image`` (BGR) with a face mask drawn over the face of ``keypoints`` (6, 2 frame pixels)."""
    kind = kind or str(rng.choice(MASK_KINDS))
    eyes = (keypoints[RIGHT_EYE] + keypoints[LEFT_EYE]) / 2
    down = keypoints[MOUTH] - eyes
    height = float(np.linalg.norm(down))
    u = down / height  # down the face
    r = np.array([-u[1], u[0]])  # across it
    half = float(np.linalg.norm(keypoints[LEFT_EYE] - keypoints[RIGHT_EYE])) * rng.uniform(0.95, 1.2)
    top = eyes + u * height * rng.uniform(0.35, 0.55)  # on the nose bridge
    bottom = keypoints[MOUTH] + u * height * rng.uniform(0.8, 1.1)  # under the chin
    middle = (top + bottom) / 2
    polygon = np.array([top - r * half, top + r * half, middle + r * half * 1.02, bottom + r * half * 0.45,
                        bottom - r * half * 0.45, middle - r * half * 1.02], np.int32)
    inside = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(inside, [polygon], 255, lineType=cv2.LINE_AA)
    cloth = np.empty_like(image)
    cloth[:] = MASK_COLOURS.get(kind) or _random_colour(rng)
    if kind == "stripes":
        period = max(3, int(half / 6))
        diagonal = np.add.outer(np.arange(image.shape[0]), np.arange(image.shape[1])) // period % 2 == 0
        cloth[diagonal] = _random_colour(rng)
    shade = np.linspace(rng.uniform(0.75, 1.0), rng.uniform(0.8, 1.05), image.shape[0])[:, None, None]
    cloth = np.clip(cloth * shade + rng.normal(0, 4, image.shape), 0, 255)
    alpha = inside[:, :, None] / 255.0
    return (image * (1 - alpha) + cloth * alpha).astype(np.uint8)


def draw_sunglasses(image: np.ndarray, keypoints: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``image`` (BGR) with dark tinted sunglasses over the eyes of ``keypoints``."""
    right, left = keypoints[RIGHT_EYE], keypoints[LEFT_EYE]
    eye_distance = float(np.linalg.norm(left - right))
    angle = float(np.degrees(np.arctan2(left[1] - right[1], left[0] - right[0])))
    axes = (int(eye_distance * rng.uniform(0.36, 0.46)), int(eye_distance * rng.uniform(0.24, 0.34)))
    lenses = np.zeros(image.shape[:2], np.uint8)
    for eye in (right, left):
        x, y = eye + rng.normal(0, eye_distance * 0.03, 2)
        cv2.ellipse(lenses, (int(x), int(y)), axes, angle, 0, 360, 255, -1, cv2.LINE_AA)
    cv2.line(lenses, (int(right[0]), int(right[1])), (int(left[0]), int(left[1])), 255,
             max(1, int(eye_distance * 0.06)))
    tint = rng.uniform(10, 60, 3)
    alpha = lenses[:, :, None] / 255.0 * rng.uniform(0.8, 0.97)  # tinted: a little of the eye shows
    return np.clip(image * (1 - alpha) + tint * alpha, 0, 255).astype(np.uint8)


@dataclass
class Tally:
    """Faces of one kind: shown, found by the detector, and flagged ``occluded`` by the gate."""

    shown: int = 0
    detected: int = 0
    occluded: int = 0
    other_reasons: dict[str, int] = field(default_factory=dict)

    def add(self, reasons: tuple[str, ...] | None) -> None:
        self.shown += 1
        if reasons is None:
            return
        self.detected += 1
        self.occluded += "occluded" in reasons
        for reason in reasons:
            if reason != "occluded":
                self.other_reasons[reason] = self.other_reasons.get(reason, 0) + 1

    def as_dict(self) -> dict[str, object]:
        rate = self.occluded / self.detected if self.detected else None
        return {"shown": self.shown, "detected": self.detected, "occluded": self.occluded,
                "occluded_rate": rate, "other_reasons": self.other_reasons}


def occlusion_rates(analyzer: FaceAnalyzer, images: Iterable[Path], seed: int = 0) -> dict[str, Tally]:
    """Per kind (``bare``, ``mask``, ``sunglasses``): how often the gate flags the largest face.

    Each photo with a face is shown bare, with one random mask and with sunglasses.
    """
    rng = np.random.default_rng(seed)
    tallies = {kind: Tally() for kind in ("bare", "mask", "sunglasses")}

    def reasons(image: np.ndarray) -> tuple[str, ...] | None:
        faces = analyzer.analyze(image, describe=False)
        return faces[0].quality.reasons if faces else None

    for path in images:
        image = read_image(path, max_pixels=analyzer.settings.max_image_pixels)
        detections = analyzer.detect(image)
        if not detections:
            continue
        keypoints = detections[0].keypoints
        tallies["bare"].add(reasons(image))
        tallies["mask"].add(reasons(draw_mask(image, keypoints, rng)))
        tallies["sunglasses"].add(reasons(draw_sunglasses(image, keypoints, rng)))
    return tallies


def format_occlusion(report: dict[str, dict[str, object]]) -> str:
    lines = ["kind          shown  detected  flagged occluded"]
    for kind, row in report.items():
        rate = row["occluded_rate"]
        shown = f"{rate:.1%}" if isinstance(rate, float) else "-"
        lines.append(f"{kind:<12} {row['shown']:>6} {row['detected']:>9}  {row['occluded']:>6} ({shown})")
    return "\n".join(lines)
