"""Fusing several descriptors of one face into one probe (the frames of a track, the photos of a
person).

A quality-weighted mean of unit vectors, normalized again: the noise of single frames (pose,
blur, light) averages out while the identity stays, so the fused probe separates people better
than any single frame (measured in docs/benchmarks.md: ``edge eval identify --probe-frames``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


def fuse(vectors: Sequence[np.ndarray] | np.ndarray, weights: Sequence[float] | None = None) -> np.ndarray:
    """(D,) float32 unit vector: the weighted mean of ``vectors`` ((n, D) unit vectors, n >= 1)
    normalized again. ``weights`` default to equal; non-positive weights count as zero."""
    matrix = np.atleast_2d(np.asarray(vectors, np.float64))
    if len(matrix) == 0:
        raise ValueError("nothing to fuse")
    w = np.ones(len(matrix)) if weights is None else np.clip(np.asarray(weights, np.float64), 0, None)
    if w.sum() <= 0:
        w = np.ones(len(matrix))
    mean = (w[:, None] * matrix).sum(axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


@dataclass
class _Described:
    time: float
    embedding: np.ndarray
    weight: float


@dataclass
class TrackFusion:
    """Per track, the descriptors of its last ``max_frames`` usable frames within ``window_s``."""

    max_frames: int
    window_s: float
    _tracks: dict[int, deque[_Described]] = field(default_factory=dict)

    def add(self, track: int, time: float, embedding: np.ndarray,
            weight: float = 1.0) -> tuple[np.ndarray, int]:
        """Add a frame's descriptor; the track's fused probe and the number of frames it fuses."""
        frames = self._tracks.setdefault(track, deque(maxlen=self.max_frames))
        frames.append(_Described(time, embedding, weight))
        while time - frames[0].time > self.window_s:
            frames.popleft()
        return fuse([f.embedding for f in frames], [f.weight for f in frames]), len(frames)

    def forget(self, live: set[int]) -> None:
        """Drop the tracks that ended."""
        for track in list(self._tracks):
            if track not in live:
                del self._tracks[track]
