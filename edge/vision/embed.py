"""Face descriptors: aligned chips in, L2-normalized embeddings out (similarity = dot product)."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import onnxruntime as ort


class Descriptor(Protocol):
    """Turns aligned RGB chips into embeddings; other descriptors plug in behind this."""

    name: str
    dim: int
    input_size: int  # square chip side, pixels

    def describe(self, chips_rgb: np.ndarray) -> np.ndarray:
        """(N, size, size, 3) uint8 RGB chips -> (N, dim) float32, each row of unit length."""
        ...


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class FaceApiDescriptor:
    """face-api's port of dlib's ResNet face descriptor (128-D; dlib's public-domain weights).

    The model compares by Euclidean distance; on unit vectors that is a monotone function of
    the dot product (d^2 = 2 - 2 cos), so normalized embeddings lose nothing. With ``flip_test``
    each embedding is the normalized sum of the face's and its mirror image's descriptors.
    """

    name = "face-api-descriptor"
    dim = 128
    input_size = 150

    def __init__(self, session: ort.InferenceSession, *, flip_test: bool) -> None:
        self.session = session
        self.flip_test = flip_test
        self.input_name = session.get_inputs()[0].name

    def describe(self, chips_rgb: np.ndarray) -> np.ndarray:
        if len(chips_rgb) == 0:
            return np.zeros((0, self.dim), np.float32)
        batch = chips_rgb.astype(np.float32)
        if self.flip_test:
            batch = np.concatenate([batch, batch[:, :, ::-1]])
        (raw,) = self.session.run(None, {self.input_name: batch})
        if self.flip_test:
            raw = raw[: len(chips_rgb)] + raw[len(chips_rgb) :]
        return l2_normalize(raw)
