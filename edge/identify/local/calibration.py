"""The local descriptor's calibration: cosine similarity -> false-accept rate, measured on pairs.

Each descriptor model has its own table, shipped in its folder (``models/<folder>/calibration.json``,
``calibration-int8.json`` for the int8 model)::

    {"descriptor": "face-api-descriptor", "scale": "cosine", "dataset": "...", "flip_test": true,
     "rows": [{"threshold": 0.52, "far": 0.1, "n_impostor": 1100, "tar": 0.99}, ...]}

Each row: of ``n_impostor`` different-person pairs, the fraction ``far`` scored at or above
``threshold``; ``tar`` is the fraction of same-person pairs that did. Below one impostor in
``n_impostor`` the rows are ``"fitted"``: read off a generalized Pareto fit of the impostor
scores' upper tail at a 95% upper bound (:mod:`edge.identify.tail`), so a door of many people can
still be given a per-comparison rate of 1e-6 to 1e-8 that rests on the data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edge.errors import ConfigError, ModelError
from edge.identify.tail import bound_tail
from edge.identify.thresholds import FarTable
from edge.vision.config import VisionSettings
from edge.vision.descriptors import DESCRIPTORS

SCALE = "cosine"
# false-accept rates the table reports, each only where the impostor pairs can support it
FAR_LADDER = (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 1e-3, 5e-4, 2e-4, 1e-4, 5e-5, 2e-5, 1e-5,
              5e-6, 2e-6)
# rates below the measured ones, from the fitted tail
FITTED_LADDER = (1e-6, 5e-7, 2e-7, 1e-7, 5e-8, 2e-8, 1e-8)
TAIL_SAMPLE = 400_000  # the tail is fitted on at most this many impostor scores (a fixed random sample)


def default_calibration_path(vision: VisionSettings) -> Path:
    """The table shipped for the selected descriptor model (one per model and precision)."""
    suffix = "" if vision.precision == "float32" else f"-{vision.precision}"
    return vision.models_dir / DESCRIPTORS[vision.descriptor].folder / f"calibration{suffix}.json"


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
    sample = impostor if n <= TAIL_SAMPLE else np.random.default_rng(0).choice(impostor, TAIL_SAMPLE,
                                                                                  replace=False)
    try:
        tail = bound_tail(sample)
    except ValueError:
        return {"rows": rows, "n_genuine": len(genuine), "n_impostor": n}
    for rate in FITTED_LADDER:
        threshold = tail.score_for(rate)
        if rate >= rows[-1]["far"] or threshold >= 1.0 or threshold <= rows[-1]["threshold"]:
            continue
        rows.append({"threshold": round(threshold, 6), "far": rate, "n_impostor": n, "fitted": True,
                     "tar": round(float((genuine >= threshold).mean()), 6)})
    return {"rows": rows, "n_genuine": len(genuine), "n_impostor": n}


def _read_calibration(path: Path | None, vision: VisionSettings) -> tuple[Path, dict[str, Any]]:
    """The calibration document at ``path``, or the one shipped for the selected descriptor.

    An explicitly configured file that is missing or malformed is a :class:`ConfigError`; the
    shipped one missing is a :class:`ModelError` (the model folder is incomplete). A table that says
    it was measured on another descriptor model is a :class:`ConfigError`: its thresholds mean
    nothing here.
    """
    file = path if path is not None else default_calibration_path(vision)
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
    measured, running = data.get("descriptor"), vision.descriptor_model
    if measured is not None and measured != running:
        raise ConfigError([f"calibration {file}: measured on descriptor model {measured!r}, but the "
                           f"vision settings run {running!r}: run `edge calibrate` for it, or point the "
                           "local backend's calibration at its table"])
    return file, data


def load_calibration(path: Path | None, vision: VisionSettings) -> FarTable:
    """The calibration table (scale "cosine") from ``path``, or the one shipped for the descriptor."""
    file, data = _read_calibration(path, vision)
    rows = data.get("rows")
    malformed = ConfigError([f'calibration {file}: "rows" must be a list of {{"threshold": x, "far": y}}'])
    if not isinstance(rows, list):
        raise malformed
    try:
        pairs = [(float(row["threshold"]), float(row["far"])) for row in rows]
    except (TypeError, KeyError, ValueError) as exc:
        raise malformed from exc
    return FarTable.from_pairs(SCALE, pairs, key=f"calibration {file}")


def load_accuracy_threshold(path: Path | None, vision: VisionSettings) -> float:
    """The calibration's best balanced-accuracy threshold (for a single split on another list)."""
    file, data = _read_calibration(path, vision)
    value = data.get("accuracy_threshold")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError([f'calibration {file}: "accuracy_threshold" must be a number (run edge calibrate)'])
    return float(value)
