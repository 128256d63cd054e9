"""Embeddings of an image set for the evaluations, cached on disk between runs.

Each image is described by its face nearest the image centre (LFW's convention: the person
named is the one in the middle). An image where the detector finds no face is not dropped (that
would flatter the figures): its face is taken where faces sit in the rest of the set, i.e. the
keypoints are the set's mean keypoints relative to the image size (a centre crop for LFW's
centred 250x250 images), and the count of such images is reported.

The cache (``$XDG_CACHE_HOME/edge/eval`` or ``~/.cache/edge/eval``; never the repository) is
keyed by the descriptor model (one file per model and precision), the vision settings that change
an embedding, the model manifest and the vision code, and by each file's path, size and mtime.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.errors import BadInput
from edge.vision.image_io import read_image
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Box, Detection

VISION_CODE = Path(__file__).resolve().parents[1] / "vision"


@dataclass(frozen=True)
class ImageSet:
    vectors: dict[Path, np.ndarray]  # every image, unit vectors
    no_face: frozenset[Path]  # described at the set's mean face position instead


@dataclass(frozen=True)
class _Found:
    """What the detector gave for one image: the relative keypoints and embedding, or nothing."""

    keypoints: np.ndarray | None  # (6, 2) as fractions of width and height
    vector: np.ndarray | None


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "edge" / "eval"


def _fingerprint(analyzer: FaceAnalyzer) -> str:
    """What an embedding depends on: the settings, the models (their manifest) and the vision code."""
    s = analyzer.settings
    digest = hashlib.sha256()
    manifest_file = s.models_dir / "manifest.json"
    for source in [manifest_file, *sorted(VISION_CODE.glob("*.py"))]:
        digest.update(source.read_bytes() if source.is_file() else b"")
    key = json.dumps([s.detector, s.score_threshold, s.nms_iou, s.min_face_px, s.tile_grid, s.use_flip_test,
                      digest.hexdigest(), analyzer.descriptor.name])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _file_key(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def _central(analyzer: FaceAnalyzer, path: Path) -> _Found:
    image = read_image(path, max_pixels=analyzer.settings.max_image_pixels)
    detections = analyzer.detect(image)
    if not detections:
        return _Found(None, None)
    size = np.array(image.shape[1::-1], np.float32)
    nearest = min(detections, key=lambda d: float(np.linalg.norm(d.keypoints[:4].mean(axis=0) - size / 2)))
    return _Found(nearest.keypoints / size, analyzer.describe(image, [nearest])[0])


def _at_mean_position(analyzer: FaceAnalyzer, path: Path, relative_keypoints: np.ndarray) -> np.ndarray:
    image = read_image(path, max_pixels=analyzer.settings.max_image_pixels)
    size = np.array(image.shape[1::-1], np.float32)
    keypoints = (relative_keypoints * size).astype(np.float32)
    low, high = keypoints.min(axis=0), keypoints.max(axis=0)
    detection = Detection(Box(float(low[0]), float(low[1]), float(high[0] - low[0]), float(high[1] - low[1])),
                          0.0, keypoints)
    return analyzer.describe(image, [detection])[0]


class EmbeddingCache:
    """Per-image detection results of one analyzer configuration, in one ``.npz`` file."""

    def __init__(self, analyzer: FaceAnalyzer, folder: Path | None = None) -> None:
        self.path = (folder or cache_dir()) / f"{analyzer.descriptor.name}-{_fingerprint(analyzer)}.npz"
        self.entries: dict[str, _Found] = {}
        self.dirty = False
        if self.path.is_file():
            try:
                with np.load(self.path, allow_pickle=False) as data:
                    for key, kp, vec in zip(data["keys"], data["keypoints"], data["vectors"]):
                        found = not np.isnan(kp).any()
                        self.entries[str(key)] = _Found(kp if found else None, vec if found else None)
            except (OSError, ValueError, KeyError):
                self.entries = {}  # a damaged cache is rebuilt, never trusted

    def save(self) -> None:
        if not self.dirty or not self.entries:
            return
        keys = list(self.entries)
        dim = next((f.vector.shape[0] for f in self.entries.values() if f.vector is not None), 1)
        keypoints = np.stack([f.keypoints if f.keypoints is not None else np.full((6, 2), np.nan, np.float32)
                              for f in self.entries.values()])
        vectors = np.stack([f.vector if f.vector is not None else np.full(dim, np.nan, np.float32)
                            for f in self.entries.values()])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp.npz")
        np.savez(temporary, keys=np.array(keys), keypoints=keypoints, vectors=vectors)
        temporary.replace(self.path)


def embed_set(analyzer: FaceAnalyzer, paths: Sequence[Path], *, workers: int | None = None,
              use_cache: bool = True) -> ImageSet:
    """Embeddings of the central face of every image (see the module doc for no-face images)."""
    cache = EmbeddingCache(analyzer) if use_cache else None
    entries = cache.entries if cache else {}
    keys = {path: _file_key(path) for path in paths}
    todo = [path for path in dict.fromkeys(paths) if keys[path] not in entries]
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for path, result in zip(todo, pool.map(lambda p: _central(analyzer, p), todo)):
            entries[keys[path]] = result
    if cache and todo:
        cache.dirty = True
        cache.save()
    found = {path: entries[keys[path]] for path in paths}
    missing = frozenset(path for path, f in found.items() if f.vector is None)
    vectors = {path: f.vector for path, f in found.items() if f.vector is not None}
    if missing:
        detected = [f.keypoints for f in found.values() if f.keypoints is not None]
        if not detected:
            raise BadInput(f"no face was detected in any of the {len(found)} images")
        mean = np.mean(detected, axis=0)
        vectors.update({path: _at_mean_position(analyzer, path, mean) for path in missing})
    return ImageSet({path: vectors[path] for path in paths}, missing)

