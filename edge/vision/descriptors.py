"""The selectable face descriptors (``vision.descriptor``): models, chip geometry, preprocessing.

Numpy only, so settings can be checked without loading onnxruntime or OpenCV; the descriptor that
runs a model is :class:`edge.vision.embed.OnnxDescriptor`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

CHIP_SIZE = 150  # dlib's chip side, pixels

# BlazeFace keypoints (right eye, left eye, nose tip, mouth centre) in dlib's 150x150 chip, pixels.
# dlib's ResNet was trained on dlib's own chips (``get_face_chip(padding=0.25)`` from its
# 5-landmark model); a chip that differs from that geometry costs accuracy. MEASURED
# (tests/vision/tools/derive_align_template.py): on the 3,171 LFW View 1 pairsDevTrain images where
# dlib's HOG detector found exactly one face, the BlazeFace full-range keypoints were mapped into
# dlib's own chip for that face, and averaged. Fitting on eyes + mouth reproduces dlib's chip best
# (mean corner error 7.3 px against 8.1 px with the nose too, 8.2 px with the eyes alone, 9.2 px
# with all six keypoints): the nose tip moves with pose.
DLIB_CHIP_TEMPLATE = np.array(
    [[46.15, 46.72], [101.87, 46.79], [73.62, 78.92], [73.45, 107.78]],
    dtype=np.float64,
)
TEMPLATE_KEYPOINTS = (0, 1, 3)  # right eye, left eye, mouth: the keypoints the fit uses


@dataclass(frozen=True)
class ChipGeometry:
    """A descriptor's chip: ``size`` x ``size`` pixels, the ``TEMPLATE_KEYPOINTS`` at ``template``."""

    size: int
    template: tuple[tuple[float, float], ...]  # (3, 2) chip pixels: right eye, left eye, mouth


# dlib's chip; the quality gates measure on it whatever the descriptor, so their thresholds keep
# their meaning.
DLIB_CHIP = ChipGeometry(CHIP_SIZE, tuple((float(x), float(y)) for x, y in DLIB_CHIP_TEMPLATE[[0, 1, 3]]))
# FaceNet's 160x160 chip: where the eyes and the mouth centre sit in the MTCNN crops (margin 32 px
# around the box, resized to 160) FaceNet 20170512-110547 was trained and evaluated on.
FACENET_CHIP = ChipGeometry(160, ((52.45, 53.90), (108.31, 52.84), (81.11, 114.38)))


def as_float(chips_rgb: np.ndarray) -> np.ndarray:
    """0..255 as float32: the face-api graph subtracts its means and scales by itself."""
    return chips_rgb.astype(np.float32)


def prewhiten(chips_rgb: np.ndarray) -> np.ndarray:
    """FaceNet's per-chip standardization, ``(x - mean) / max(std, 1/sqrt(pixels))`` over each
    chip's pixels and channels (``facenet.prewhiten`` in David Sandberg's code)."""
    x = chips_rgb.astype(np.float32)
    axes = (1, 2, 3)
    floor = np.float32(1.0 / np.sqrt(np.prod(x.shape[1:])))
    std = np.maximum(x.std(axis=axes, keepdims=True), floor)
    return (x - x.mean(axis=axes, keepdims=True)) / std


@dataclass(frozen=True)
class DescriptorSpec:
    """One selectable descriptor."""

    folder: str  # models/<folder>/: its models, README and calibration tables
    models: dict[str, str]  # precision ("float32", "int8") -> model name in the manifest
    dim: int
    geometry: ChipGeometry
    preprocess: Callable[[np.ndarray], np.ndarray]  # (N, s, s, 3) uint8 RGB -> float32 model input
    flip_test: bool  # on by default: worth its doubled time for this descriptor
    precision: str  # the default precision (``vision.descriptor_precision`` empty)

    def model(self, precision: str) -> str:
        """The manifest name of the model for ``precision`` (KeyError: not built)."""
        return self.models[precision]


DESCRIPTORS: dict[str, DescriptorSpec] = {
    # face-api's port of dlib's ResNet (dlib's public-domain weights). Euclidean in the original,
    # which on unit vectors is monotone in the dot product (d^2 = 2 - 2 cos).
    "dlib": DescriptorSpec("face-api-descriptor", {"float32": "face-api-descriptor"}, 128, DLIB_CHIP,
                           as_float, flip_test=True, precision="float32"),
    # FaceNet 20170512-110547 (Inception-ResNet-v1, MIT, David Sandberg); see models/facenet/. int8
    # by default: as accurate as float32 on LFW and on East Asian strangers, at the per-frame cost
    # and memory of dlib with the flip test (float32: 1.7x per frame, +170 MB; docs/vision.md).
    "facenet": DescriptorSpec("facenet", {"float32": "facenet", "int8": "facenet-int8"}, 128, FACENET_CHIP,
                              prewhiten, flip_test=False, precision="int8"),
}
