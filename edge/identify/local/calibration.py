"""The local descriptor's calibration: cosine similarity -> false-accept rate, measured on pairs.

The table ships next to the model (``models/<descriptor>/calibration.json``)::

    {"descriptor": "face-api-descriptor", "scale": "cosine", "dataset": "...", "flip_test": true,
     "rows": [{"threshold": 0.52, "far": 0.1, "n_impostor": 1100, "tar": 0.99}, ...]}

Each row: of ``n_impostor`` different-person pairs, the fraction ``far`` scored at or above
``threshold``; ``tar`` is the fraction of same-person pairs that did. A table never claims a rate
its data cannot support: the strictest row is one impostor in ``n_impostor``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from edge.errors import ConfigError, ModelError
from edge.identify.thresholds import FarTable
from edge.vision.image_io import read_image

if TYPE_CHECKING:  # the table itself needs no models: keep onnxruntime out of its import
    from edge.vision.pipeline import FaceAnalyzer

DESCRIPTOR = "face-api-descriptor"
CALIBRATION_FILE = "calibration.json"
SCALE = "cosine"
# false-accept rates the table reports, each only where the impostor pairs can support it
FAR_LADDER = (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 1e-3, 5e-4, 2e-4, 1e-4, 5e-5, 2e-5, 1e-5)


def default_calibration_path(models_dir: Path, descriptor: str = DESCRIPTOR) -> Path:
    return models_dir / descriptor / CALIBRATION_FILE


def calibration_table(
    genuine_scores: Sequence[float] | np.ndarray, impostor_scores: Sequence[float] | np.ndarray
) -> dict[str, Any]:
    """Rows of threshold / false-accept rate / true-accept rate from scored pairs.

    For a target rate ``f`` with ``n`` impostor pairs, ``k = floor(f * n)`` impostors may pass;
    the threshold lies halfway between the k-th and (k+1)-th highest impostor score, so exactly k
    pass and the row's ``far`` is the measured ``k / n``. Targets needing ``k = 0`` are not
    measurable and are left out; the strictest row has ``k = 1``. Returns ``{"rows": [...],
    "n_genuine": ..., "n_impostor": ...}``; the caller adds descriptor, dataset and settings.
    """
    genuine = np.asarray(genuine_scores, np.float64)
    impostor = np.sort(np.asarray(impostor_scores, np.float64))[::-1]
    n = len(impostor)
    if n < 10 or len(genuine) < 10:
        raise ValueError(f"too few scored pairs to calibrate ({len(genuine)} genuine, {n} impostor)")
    rows = []
    for k in sorted({int(f * n + 1e-9) for f in FAR_LADDER if f * n >= 1}, reverse=True):
        threshold = float((impostor[k - 1] + impostor[k]) / 2)
        rows.append(
            {
                "threshold": round(threshold, 6),
                "far": k / n,
                "n_impostor": n,
                "tar": round(float((genuine >= threshold).mean()), 6),
            }
        )
    rows = [r for i, r in enumerate(rows) if i == 0 or r["threshold"] > rows[i - 1]["threshold"]]
    return {"rows": rows, "n_genuine": len(genuine), "n_impostor": n}


def read_lfw_pairs(pairs_file: Path) -> list[tuple[Path, Path, bool]]:
    """(image a, image b, same person) from an LFW pairs file (View 1 or View 2 format)."""
    root = pairs_file.parent
    pairs = []
    for line in pairs_file.read_text(encoding="utf-8").splitlines():
        f = line.split()
        if len(f) == 3:
            pairs.append((f[0], int(f[1]), f[0], int(f[2]), True))
        elif len(f) == 4:
            pairs.append((f[0], int(f[1]), f[2], int(f[3]), False))
    return [
        (root / a / f"{a}_{i:04d}.jpg", root / b / f"{b}_{j:04d}.jpg", same) for a, i, b, j, same in pairs
    ]


def central_embedding(analyzer: FaceAnalyzer, path: Path) -> np.ndarray | None:
    """Embedding of the face nearest the image centre (LFW's convention), None if no face."""
    image = read_image(path, max_pixels=analyzer.settings.max_image_pixels)
    detections = analyzer.detect(image)
    if not detections:
        return None
    centre = np.array(image.shape[1::-1], np.float32) / 2
    nearest = min(detections, key=lambda d: float(np.linalg.norm(d.keypoints[:4].mean(axis=0) - centre)))
    return analyzer.describe(image, [nearest])[0]


def embed_images(analyzer: FaceAnalyzer, paths: Sequence[Path]) -> dict[Path, np.ndarray]:
    """Embeddings of the central face of each image; images without a face are left out."""
    embeddings = {path: central_embedding(analyzer, path) for path in paths}
    return {path: e for path, e in embeddings.items() if e is not None}


def identity_pair_scores(embeddings: dict[Path, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Cosine scores of every same-identity and every cross-identity pair of images.

    The identity is the image's folder name (LFW's layout). All pairs of a few thousand images
    give millions of impostor pairs, enough to measure false-accept rates down to 1e-5.
    """
    names = np.array([path.parent.name for path in embeddings])
    vectors = np.stack(list(embeddings.values()))
    upper = np.triu_indices(len(vectors), 1)
    scores = (vectors @ vectors.T)[upper]
    same = (names[:, None] == names[None, :])[upper]
    return scores[same], scores[~same]


def score_pairs(
    analyzer: FaceAnalyzer, pairs: Sequence[tuple[Path, Path, bool]]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Cosine scores of the genuine and impostor pairs, and how many pairs had no face."""
    cache: dict[Path, np.ndarray | None] = {}
    genuine: list[float] = []
    impostor: list[float] = []
    missed = 0
    for a, b, same in pairs:
        for path in (a, b):
            if path not in cache:
                cache[path] = central_embedding(analyzer, path)
        ea, eb = cache[a], cache[b]
        if ea is None or eb is None:
            missed += 1
            continue
        (genuine if same else impostor).append(analyzer.similarity(ea, eb))
    return np.array(genuine), np.array(impostor), missed


def _read_calibration(path: Path | None, models_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The calibration document at ``path``, or the one shipped next to the model.

    An explicitly configured file that is missing or malformed is a :class:`ConfigError`; the
    shipped one missing is a :class:`ModelError` (the model folder is incomplete).
    """
    file = path if path is not None else default_calibration_path(models_dir)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        if path is None:
            raise ModelError(f"{file}: missing (the descriptor's calibration table)") from exc
        raise ConfigError([f"calibration {file}: not found"]) from exc
    except (OSError, ValueError) as exc:
        raise ConfigError([f"calibration {file}: not readable JSON: {exc}"]) from exc
    if not isinstance(data, dict) or data.get("scale") != SCALE:
        raise ConfigError([f"calibration {file}: needs \"scale\": \"{SCALE}\""])
    return file, data


def load_calibration(path: Path | None, models_dir: Path) -> FarTable:
    """The calibration table (scale "cosine") from ``path``, or the one shipped next to the model."""
    file, data = _read_calibration(path, models_dir)
    rows = data.get("rows")
    malformed = ConfigError([f'calibration {file}: "rows" must be a list of {{"threshold": x, "far": y}}'])
    if not isinstance(rows, list):
        raise malformed
    try:
        pairs = [(float(row["threshold"]), float(row["far"])) for row in rows]
    except (TypeError, KeyError, ValueError) as exc:
        raise malformed from exc
    return FarTable.from_pairs(SCALE, pairs, key=f"calibration {file}")


def load_accuracy_threshold(path: Path | None, models_dir: Path) -> float:
    """The calibration's best balanced-accuracy threshold (for a single split on another list)."""
    file, data = _read_calibration(path, models_dir)
    value = data.get("accuracy_threshold")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError([f'calibration {file}: "accuracy_threshold" must be a number (run edge calibrate)'])
    return float(value)
