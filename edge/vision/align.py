"""Alignment: a similarity transform from the detector's keypoints to the descriptor's template.

The face-api descriptor is dlib's ResNet, trained on dlib's own 150x150 face chips
(``get_face_chip(padding=0.25)`` from its 5-landmark model). A chip cut by a template that differs
from dlib's geometry costs accuracy, so the template below is dlib's chip geometry expressed in
BlazeFace's keypoints. MEASURED (tests/vision/tools/derive_align_template.py): on the 3,171 LFW
View 1 pairsDevTrain images where dlib's HOG detector found exactly one face, the BlazeFace
full-range keypoints were mapped into dlib's own chip for that face, and averaged. Fitting on
eyes + mouth reproduces dlib's chip best (mean corner error 7.3 px against 8.1 px with the nose
too, 8.2 px with the eyes alone, 9.2 px with all six keypoints): the nose tip moves with pose.
"""

from __future__ import annotations

import cv2
import numpy as np

CHIP_SIZE = 150

# BlazeFace keypoints (right eye, left eye, nose tip, mouth centre) in dlib's 150x150 chip, pixels.
DLIB_CHIP_TEMPLATE = np.array(
    [[46.15, 46.72], [101.87, 46.79], [73.62, 78.92], [73.45, 107.78]],
    dtype=np.float64,
)
TEMPLATE_KEYPOINTS = (0, 1, 3)  # right eye, left eye, mouth: the keypoints the fit uses


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares rotation + uniform scale + translation mapping ``src`` onto ``dst``.

    Umeyama's closed form; returns the 2x3 matrix. Points are (N, 2), N >= 2.
    """
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    covariance = dst_c.T @ src_c / len(src)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1
    rotation = u @ sign @ vt
    variance = (src_c**2).sum() / len(src)
    scale = (singular * np.diag(sign)).sum() / variance if variance > 0 else 1.0
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - matrix[:, :2] @ src_mean
    return matrix


def alignment_matrix(keypoints: np.ndarray, size: int = CHIP_SIZE) -> np.ndarray:
    """2x3 matrix from frame pixels to the ``size`` x ``size`` chip for these keypoints."""
    template = DLIB_CHIP_TEMPLATE[list(TEMPLATE_KEYPOINTS)] * (size / CHIP_SIZE)
    return similarity_transform(keypoints[list(TEMPLATE_KEYPOINTS)], template)


def align(image: np.ndarray, keypoints: np.ndarray, size: int = CHIP_SIZE) -> np.ndarray:
    """The aligned ``size`` x ``size`` chip (same channel order as ``image``).

    A face much larger than the chip is first shrunk with area averaging, as dlib does with its
    image pyramid, so the chip is not aliased. Outside the frame is black, as in dlib's chips.
    """
    matrix = alignment_matrix(keypoints, size)
    scale = float(np.hypot(*matrix[0, :2]))
    if scale < 0.5:
        shrink = 2 * scale  # leave a factor of two to the bilinear warp
        small = cv2.resize(image, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
        # pixel centres: x_small = (x + 0.5) * shrink - 0.5
        matrix = matrix @ np.array([[1 / shrink, 0, 0.5 / shrink - 0.5], [0, 1 / shrink, 0.5 / shrink - 0.5],
                                    [0, 0, 1]])
        image = small
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
