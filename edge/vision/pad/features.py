"""Texture, frequency and colour features of a presented face, for the ``texture`` PAD method.

A recaptured face (a print or a screen in front of the camera) differs from a live one in ways a
plain webcam still sees: a print has a narrower gamut and dynamic range (paper white, ink black),
dot patterns and paper texture; a screen has a pixel grid that aliases into moire, clipped
highlights and a raised black; both are flat and evenly lit. The features follow Boulkenafet,
Komulainen and Hadid, "Face spoofing detection using colour texture analysis" (IEEE TIFS 2016):
uniform LBP histograms in YCrCb and HSV, plus a radial power spectrum (moire and halftone peaks)
and colour/contrast statistics of the face crop.

``frame_features(image, box)`` -> float32 vector of ``FEATURE_DIM`` values, or ``None`` when the
face is too small or outside the frame. Cost: about 1-2 ms per face on one core (docs/vision.md).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import cv2
import numpy as np

from edge.vision.types import Box

FACE_SIZE = 96  # px: face crop side; faces at a door (85-180 px) are barely shrunk
MIN_FACE_PX = 40  # smaller faces carry no texture worth judging
SPECTRUM_BINS = 16


def _uniform_lbp_table() -> np.ndarray:
    """Code -> bin of the 59-bin uniform LBP(8,1) histogram (58 uniform patterns, 1 for the rest)."""
    table = np.full(256, 58, np.uint8)
    uniform = [c for c in range(256) if bin(c ^ ((c << 1 | c >> 7) & 0xFF)).count("1") <= 2]
    table[uniform] = np.arange(len(uniform), dtype=np.uint8)
    return table


LBP_BINS = 59
_LBP_TABLE = _uniform_lbp_table()
# the eight neighbours of LBP(8, 1), clockwise from the top-left
_NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1))


def lbp_histogram(channel: np.ndarray) -> np.ndarray:
    """Normalized 59-bin uniform LBP(8,1) histogram of one (H, W) uint8 channel (border skipped)."""
    centre = channel[1:-1, 1:-1]
    h, w = centre.shape
    codes = np.zeros((h, w), np.uint8)
    for bit, (dy, dx) in enumerate(_NEIGHBOURS):
        codes |= (channel[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] >= centre).astype(np.uint8) << bit
    histogram = np.bincount(_LBP_TABLE[codes].ravel(), minlength=LBP_BINS).astype(np.float32)
    return histogram / histogram.sum()


def square_crop(image: np.ndarray, box: Box, scale: float, size: int) -> np.ndarray | None:
    """The square of side ``scale`` x the box's long side around its centre, resized to ``size``
    (area-averaged when shrinking, edges replicated past the frame); None when off the frame."""
    side = max(1, round(max(box.w, box.h) * scale))
    x0, y0 = round(box.x + box.w / 2 - side / 2), round(box.y + box.h / 2 - side / 2)
    h, w = image.shape[:2]
    ix0, iy0, ix1, iy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
    if ix1 - ix0 < side // 2 or iy1 - iy0 < side // 2:
        return None
    region = cv2.copyMakeBorder(image[iy0:iy1, ix0:ix1], iy0 - y0, y0 + side - iy1, ix0 - x0, x0 + side - ix1,
                                cv2.BORDER_REPLICATE)
    interpolation = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(region, (size, size), interpolation=interpolation)


@functools.lru_cache(maxsize=4)
def _spectrum_layout(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hann window, ring index of each frequency, pixels per ring, mask of the upper frequencies."""
    window = np.outer(np.hanning(n), np.hanning(n)).astype(np.float32)
    yy, xx = np.indices((n, n)) - n // 2
    radius = np.fft.ifftshift(np.sqrt(xx**2 + yy**2) / (n / 2))  # unshifted, like the FFT's output
    # ring of each frequency; the corners beyond the Nyquist circle go to an overflow bin
    rings = np.minimum((radius * SPECTRUM_BINS).astype(np.intp), SPECTRUM_BINS).ravel()
    counts = np.maximum(np.bincount(rings, minlength=SPECTRUM_BINS + 1)[:SPECTRUM_BINS], 1)
    return window, rings, counts, ((radius > 0.5) & (radius <= 1.0)).ravel()


def _radial_spectrum(grey: np.ndarray) -> np.ndarray:
    """Log power in SPECTRUM_BINS rings of spatial frequency (mean-removed), then the peakiness
    (max minus median log power) of the upper half of frequencies, where moire and dots show."""
    window, rings, counts, high = _spectrum_layout(grey.shape[0])
    spectrum = cv2.dft((grey - grey.mean()) * window, flags=cv2.DFT_COMPLEX_OUTPUT)
    power = np.log1p(cv2.magnitude(spectrum[..., 0], spectrum[..., 1]) ** 2).ravel()
    profile = np.bincount(rings, weights=power, minlength=SPECTRUM_BINS + 1)[:SPECTRUM_BINS] / counts
    upper = power[high]
    return np.concatenate([profile - profile.mean(), [upper.max() - np.median(upper)]]).astype(np.float32)


def _percentiles(channel: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """Percentiles (0..1) of a uint8 channel from its histogram (no sort), scaled to 0..1."""
    cumulative = np.cumsum(np.bincount(channel.ravel(), minlength=256))
    return np.searchsorted(cumulative, np.asarray(quantiles) * cumulative[-1]) / 255


def _colour_statistics(bgr: np.ndarray, ycrcb: np.ndarray, hsv: np.ndarray) -> np.ndarray:
    """Dynamic range, contrast, saturation, chroma spread, clipped highlights/shadows, sharpness."""
    y = ycrcb[..., 0]
    s = hsv[..., 1]
    y_mean, y_std = cv2.meanStdDev(y)
    s_mean, s_std = cv2.meanStdDev(s)
    c_mean, c_std = cv2.meanStdDev(ycrcb)
    brightest = bgr.max(axis=2)
    sharpness = cv2.mean(cv2.convertScaleAbs(cv2.Laplacian(y, cv2.CV_16S)))[0]
    return np.concatenate([
        _percentiles(y, (0.01, 0.05, 0.5, 0.95, 0.99)), _percentiles(s, (0.95,)),
        [y_std[0, 0] / 255, s_mean[0, 0] / 255, s_std[0, 0] / 255],
        c_mean[1:, 0] / 255, c_std[1:, 0] / 255,
        [(brightest >= 250).mean(), (brightest <= 5).mean(), sharpness / 255],
    ]).astype(np.float32)


def _crop_features(crop: np.ndarray) -> np.ndarray:
    ycrcb = cv2.cvtColor(crop, cv2.COLOR_BGR2YCrCb)
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    return np.concatenate([lbp_histogram(c) for c in (*cv2.split(ycrcb), *cv2.split(hsv))]
                          + [_radial_spectrum(ycrcb[..., 0].astype(np.float32) / 255),
                             _colour_statistics(crop, ycrcb, hsv)])


def frame_features(image: np.ndarray, box: Box) -> np.ndarray | None:
    """Features of the face in ``box`` of the BGR frame ``image`` (H, W, 3) uint8: LBP in six colour
    channels, radial spectrum and colour statistics of the face crop. None when the face is under
    MIN_FACE_PX or mostly off the frame.

    The ring of context around the face is left out on purpose: trained on simulated scenes, its
    features learned the simulator's backgrounds and rejected every real bona fide clip
    (docs/vision.md); the border of a sheet or phone is print_frame's job."""
    if max(box.w, box.h) < MIN_FACE_PX:
        return None
    face = square_crop(image, box, 1.0, FACE_SIZE)
    return None if face is None else _crop_features(face).astype(np.float32)


FEATURE_DIM = 6 * LBP_BINS + SPECTRUM_BINS + 1 + 16
