"""Occlusion measures of one face: is the lower face skin, are the eyes visible?

Measured on the aligned 150 px dlib chip (:data:`edge.vision.descriptors.DLIB_CHIP`: eyes at
y 47, nose tip at y 79, mouth at y 108), by comparing regions of the face with the face's own
skin, so that skin tone and lighting cancel out:

- ``lower_face_skin``: the fraction of the mouth-and-chin region whose colour (Cr, Cb of YCrCb)
  lies within ``SKIN_CHROMA_DISTANCE`` of a skin reference and whose brightness is within
  ``SKIN_LUMA_RATIO`` of it; the larger of two references, the forehead's median and that of
  the band under the eyes (above a mask's edge), so that bangs or a cap's brim over the
  forehead do not make a bare face look masked. A mask or scarf leaves almost none (a bare
  face: median 0.7 on LFW). Grey and infrared frames carry no colour, so there only brightness
  can tell.
- ``eyes_dark``: the fraction of the two eye regions darker than ``DARK_EYE_RATIO`` times the
  median brightness of the cheeks and forehead. Sunglasses cover nearly all of it (a bare face:
  median 0.27, pupils, lashes and brows).

The regions, constants and the defaults of ``vision.quality.min_lower_face_skin`` and
``max_eyes_dark`` were set on 300 LFW View 1 pairsDevTrain faces and the 545 East Asian celebrity
photos, bare and with drawn occluders (:mod:`edge.eval.occlusion`); the rates on sets they were
not set on are in docs/vision.md.
"""

from __future__ import annotations

import cv2
import numpy as np

SKIN_CHROMA_DISTANCE = 10.0  # Cr/Cb units (0..255) from the reference's median colour
SKIN_LUMA_RATIO = (0.45, 1.6)  # brightness relative to the reference's still counted as skin
DARK_EYE_RATIO = 0.5  # an eye-region pixel below this fraction of the skin's brightness is dark

# Regions of the 150 px dlib chip as (y0, y1, x0, x1)
FOREHEAD = (12, 32, 50, 100)  # above the brows
UNDER_EYES = ((56, 68, 34, 60), (56, 68, 90, 116))  # above the nose bridge, where a mask starts
LOWER_FACE = (88, 132, 45, 105)  # under the nose tip: mouth and chin
EYES = ((39, 55, 32, 60), (39, 55, 88, 116))  # around each eye (the person's right, left)
CHEEKS = ((70, 90, 30, 55), (70, 90, 95, 120))


def _pixels(image: np.ndarray, region: tuple[int, int, int, int]) -> np.ndarray:
    y0, y1, x0, x1 = region
    return image[y0:y1, x0:x1].reshape(-1, image.shape[2])


def _skin_like(pixels: np.ndarray, skin: np.ndarray) -> float:
    """Fraction of YCrCb ``pixels`` (N, 3) with the colour and about the brightness of ``skin``."""
    chroma = np.linalg.norm(pixels[:, 1:] - skin[1:], axis=1)
    luma = pixels[:, 0] / max(float(skin[0]), 1.0)
    low, high = SKIN_LUMA_RATIO
    return float(np.mean((chroma < SKIN_CHROMA_DISTANCE) & (luma > low) & (luma < high)))


def occlusion_measures(chip_bgr: np.ndarray) -> dict[str, float]:
    """``lower_face_skin`` and ``eyes_dark`` (fractions, 0..1) of a 150x150 BGR dlib chip."""
    ycrcb = cv2.cvtColor(chip_bgr, cv2.COLOR_BGR2YCrCb).astype(np.float32)
    forehead = _pixels(ycrcb, FOREHEAD)
    lower = _pixels(ycrcb, LOWER_FACE)
    under_eyes = np.concatenate([_pixels(ycrcb, r) for r in UNDER_EYES])
    lower_face_skin = max(_skin_like(lower, np.median(ref, axis=0)) for ref in (forehead, under_eyes))
    skin = np.concatenate([forehead, *(_pixels(ycrcb, r) for r in CHEEKS)])
    eyes = np.concatenate([_pixels(ycrcb, r) for r in EYES])
    eyes_dark = np.mean(eyes[:, 0] < DARK_EYE_RATIO * float(np.median(skin[:, 0])))
    return {"lower_face_skin": round(float(lower_face_skin), 3), "eyes_dark": round(float(eyes_dark), 3)}
