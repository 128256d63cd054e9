"""Face descriptors: aligned chips in, L2-normalized embeddings out (similarity = dot product).

Every descriptor of the registry (:data:`edge.vision.descriptors.DESCRIPTORS`) runs through
:class:`OnnxDescriptor`.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import onnxruntime as ort

from edge.vision.descriptors import ChipGeometry, DescriptorSpec


class Descriptor(Protocol):
    """Turns aligned RGB chips into embeddings; other descriptors plug in behind this."""

    name: str  # the model that made the embeddings (galleries record it)
    dim: int
    geometry: ChipGeometry

    def describe(self, chips_rgb: np.ndarray) -> np.ndarray:
        """(N, size, size, 3) uint8 RGB chips -> (N, dim) float32, each row of unit length."""
        ...


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class OnnxDescriptor:
    """A registry descriptor on its onnxruntime session.

    With ``flip_test`` each embedding is the normalized sum of the face's and its mirror image's
    outputs (twice the time).
    """

    def __init__(self, name: str, spec: DescriptorSpec, session: ort.InferenceSession, *,
                 flip_test: bool) -> None:
        self.name = name
        self.spec = spec
        self.dim = spec.dim
        self.geometry = spec.geometry
        self.session = session
        self.flip_test = flip_test
        self.input_name = session.get_inputs()[0].name

    def describe(self, chips_rgb: np.ndarray) -> np.ndarray:
        if len(chips_rgb) == 0:
            return np.zeros((0, self.dim), np.float32)
        batch = chips_rgb
        if self.flip_test:
            batch = np.concatenate([batch, batch[:, :, ::-1]])
        (raw,) = self.session.run(None, {self.input_name: self.spec.preprocess(batch)})
        if self.flip_test:
            raw = raw[: len(chips_rgb)] + raw[len(chips_rgb) :]
        return l2_normalize(raw)
