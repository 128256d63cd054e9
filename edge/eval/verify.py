"""``edge eval pairs``: verification figures from the scores of an LFW-format pair list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge.eval.metrics import accuracy, auc, eer, fold_accuracies, tar_at_far
from edge.eval.pairs import Pair

# the rates at which the true-accept rate is reported, keyed as in the JSON output
TAR_FARS = {"1e-2": 1e-2, "1e-3": 1e-3}
NO_FACE_ACTION = "described at the set's mean face position (a centre crop for LFW), not dropped"


@dataclass(frozen=True)
class PairScores:
    scores: np.ndarray  # cosine similarity per pair, in file order
    same: np.ndarray  # bool per pair

    @classmethod
    def of(cls, listed: Sequence[Pair], similarity: Callable[[Path, Path], float]) -> PairScores:
        """Scores of the listed pairs by ``similarity`` of their two images."""
        return cls(np.array([similarity(p.a, p.b) for p in listed]), np.array([p.same for p in listed]))

    @property
    def genuine(self) -> np.ndarray:
        return self.scores[self.same]

    @property
    def impostor(self) -> np.ndarray:
        return self.scores[~self.same]


def verification_report(pairs: PairScores, *, folds: int, threshold: float | None = None,
                        n_no_face: int = 0, impostor_pool: np.ndarray | None = None) -> dict[str, Any]:
    """The figures of ``edge eval pairs --json``.

    ``folds >= 2``: k-fold accuracy (threshold chosen on the other folds) with its standard
    deviation; ``folds == 1``: accuracy at the given ``threshold`` on all pairs (std 0).
    AUC, EER and TAR@FAR are over the listed pairs, or the listed genuine pairs against
    ``impostor_pool`` (e.g. every different-person pair of the listed images) when given.
    ``tar_at_far`` is null for a rate finer than one impostor pair (the data cannot support it).
    """
    genuine = pairs.genuine
    impostor = pairs.impostor if impostor_pool is None else np.asarray(impostor_pool)
    if folds == 1:
        if threshold is None:
            raise ValueError("a single split needs a threshold")
        per_fold = [accuracy(genuine, pairs.impostor, threshold)]
    else:
        per_fold = fold_accuracies(pairs.scores, pairs.same, folds)
    report: dict[str, Any] = {
        "n_pairs": int(pairs.scores.size),
        "n_genuine": int(genuine.size),
        "n_impostor": int(pairs.impostor.size),
        "n_impostor_rates": int(impostor.size),  # behind auc, eer, tar_at_far
        "folds": folds,
        "accuracy": float(np.mean(per_fold)),
        "accuracy_std": float(np.std(per_fold)),
        "auc": auc(genuine, impostor),
        "eer": eer(genuine, impostor),
        "tar_at_far": {key: (tar_at_far(genuine, impostor, far) if far * impostor.size >= 1 else None)
                       for key, far in TAR_FARS.items()},
        "n_no_face": n_no_face,
        "no_face_action": NO_FACE_ACTION,
    }
    if threshold is not None:
        report["threshold"] = threshold
        report["tar_at_threshold"] = float((genuine >= threshold).mean())
        report["far_at_threshold"] = float((pairs.impostor >= threshold).mean())
    return report


def format_report(report: dict[str, Any]) -> str:
    tar = ", ".join(f"{k}: {'n/a (too few impostor pairs)' if v is None else f'{v:.4f}'}"
                    for k, v in report["tar_at_far"].items())
    split = (f"{report['folds']}-fold" if report["folds"] > 1
             else f"single split at threshold {report['threshold']:.4f}: true accepts "
             f"{report['tar_at_threshold']:.4f}, false accepts {report['far_at_threshold']:.4f}")
    return "\n".join([
        f"pairs: {report['n_pairs']} ({report['n_genuine']} same, {report['n_impostor']} different)",
        f"accuracy ({split}): {report['accuracy']:.4f} +- {report['accuracy_std']:.4f}",
        f"ROC AUC: {report['auc']:.5f}   EER: {report['eer']:.4f}   (against {report['n_impostor_rates']} "
        "impostor pairs)",
        f"TAR at FAR {tar}",
        f"images without a detected face: {report['n_no_face']} ({report['no_face_action']})",
    ])
