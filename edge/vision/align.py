"""Alignment: a similarity transform from the detector's keypoints to a descriptor's chip.

Each descriptor was trained on its own chip geometry (where the eyes and the mouth sit in a chip
of its size): :class:`~edge.vision.descriptors.ChipGeometry`, one per descriptor in
``edge/vision/descriptors.py``, with how each template was obtained.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.vision.descriptors import DLIB_CHIP, TEMPLATE_KEYPOINTS, ChipGeometry


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


def alignment_matrix(keypoints: np.ndarray, geometry: ChipGeometry = DLIB_CHIP) -> np.ndarray:
    """2x3 matrix from frame pixels to the ``geometry`` chip for these keypoints."""
    return similarity_transform(keypoints[list(TEMPLATE_KEYPOINTS)], np.array(geometry.template))


def align(image: np.ndarray, keypoints: np.ndarray, geometry: ChipGeometry = DLIB_CHIP) -> np.ndarray:
    """The aligned chip of ``geometry`` (same channel order as ``image``).

    A face much larger than the chip is first shrunk with area averaging, as dlib does with its
    image pyramid, so the chip is not aliased. Outside the frame is black, as in dlib's chips.
    """
    matrix = alignment_matrix(keypoints, geometry)
    size = geometry.size
    scale = float(np.hypot(*matrix[0, :2]))
    if scale < 0.5:
        shrink = 2 * scale  # leave a factor of two to the bilinear warp
        small = cv2.resize(image, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
        # pixel centres: x_small = (x + 0.5) * shrink - 0.5
        matrix = matrix @ np.array([[1 / shrink, 0, 0.5 / shrink - 0.5], [0, 1 / shrink, 0.5 / shrink - 0.5],
                                    [0, 0, 1]])
        image = small
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
