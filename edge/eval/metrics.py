"""Verification metrics on similarity scores (higher = more alike): ROC, AUC, EER, TAR at a FAR,
and the standard LFW k-fold accuracy (threshold chosen on k-1 folds, tested on the held-out one).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Roc:
    """Rates at every distinct threshold, from the strictest (nothing accepted) to the loosest."""

    thresholds: np.ndarray  # a pair is accepted when score >= threshold
    far: np.ndarray  # fraction of impostor pairs accepted
    tar: np.ndarray  # fraction of genuine pairs accepted


def _checked(genuine: np.ndarray, impostor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    g, i = np.asarray(genuine, np.float64), np.asarray(impostor, np.float64)
    if g.size == 0 or i.size == 0:
        raise ValueError(f"need genuine and impostor scores (got {g.size} genuine, {i.size} impostor)")
    return g, i


def roc(genuine: np.ndarray, impostor: np.ndarray) -> Roc:
    g, i = _checked(genuine, impostor)
    thresholds = np.unique(np.concatenate([g, i]))[::-1]
    g_sorted, i_sorted = np.sort(g), np.sort(i)
    tar = (g.size - np.searchsorted(g_sorted, thresholds, side="left")) / g.size
    far = (i.size - np.searchsorted(i_sorted, thresholds, side="left")) / i.size
    return Roc(np.concatenate([[np.inf], thresholds]), np.concatenate([[0.0], far]),
               np.concatenate([[0.0], tar]))


def auc(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """Area under the ROC curve: the chance a genuine pair outscores an impostor pair (ties half)."""
    curve = roc(genuine, impostor)
    return float(np.trapezoid(curve.tar, curve.far))


def eer(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """Equal error rate: where the false-accept and false-reject rates cross (linearly interpolated)."""
    curve = roc(genuine, impostor)
    frr = 1 - curve.tar
    diff = curve.far - frr  # rises from -1 (strictest) to +1 (loosest)
    k = int(np.argmax(diff >= 0))
    if k == 0 or diff[k] == 0:
        return float(curve.far[k])
    t = -diff[k - 1] / (diff[k] - diff[k - 1])
    return float(curve.far[k - 1] + t * (curve.far[k] - curve.far[k - 1]))


def tar_at_far(genuine: np.ndarray, impostor: np.ndarray, far: float) -> float:
    """True-accept rate at the loosest threshold whose false-accept rate is still <= ``far``."""
    curve = roc(genuine, impostor)
    return float(curve.tar[curve.far <= far + 1e-12].max())


def best_threshold(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """The threshold with the highest balanced accuracy, the mean of the true-accept and
    true-reject rates (the midpoint to the next lower score, for margin).

    On a balanced list (LFW's folds) that is plain accuracy; on every image pair of a set
    (thousands of genuine, millions of impostor pairs) it is the accuracy a balanced list drawn
    from the set would have, which plain counting would sacrifice to the impostors' number.
    """
    g, i = _checked(genuine, impostor)
    g, i = np.sort(g), np.sort(i)
    scores = np.unique(np.concatenate([g, i]))
    cuts = np.concatenate([[scores[0] - 1e-6], (scores[1:] + scores[:-1]) / 2, [scores[-1] + 1e-6]])
    true_accept = (g.size - np.searchsorted(g, cuts, side="left")) / g.size  # genuine >= cut
    true_reject = np.searchsorted(i, cuts, side="left") / i.size  # impostor < cut
    return float(cuts[int(np.argmax(true_accept + true_reject))])


def accuracy(genuine: np.ndarray, impostor: np.ndarray, threshold: float) -> float:
    g, i = _checked(genuine, impostor)
    return float(((g >= threshold).sum() + (i < threshold).sum()) / (g.size + i.size))


def fold_accuracies(scores: np.ndarray, same: np.ndarray, folds: int) -> list[float]:
    """Accuracy on each of ``folds`` consecutive folds with the threshold chosen on the others.

    Fold k holds the k-th consecutive share of the genuine pairs and of the impostor pairs, in
    file order: on LFW's ``pairs.txt`` (ten sets of 300 + 300) these are exactly its ten sets, and
    a single-set file such as ``pairsDevTrain.txt`` still gets both kinds in every fold.
    """
    scores, same = np.asarray(scores, np.float64), np.asarray(same, bool)
    smallest = min(int(same.sum()), int((~same).sum()))
    if folds < 2 or folds > smallest:
        raise ValueError(f"folds must be between 2 and the number of pairs of the smaller kind ({smallest}), "
                         f"got {folds}")
    fold_of = np.empty(len(scores), np.int64)
    for kind in (same, ~same):
        fold_of[kind] = np.arange(int(kind.sum())) * folds // int(kind.sum())
    results = []
    for k in range(folds):
        train, test = fold_of != k, fold_of == k
        threshold = best_threshold(scores[train & same], scores[train & ~same])
        predicted = scores[test] >= threshold
        results.append(float((predicted == same[test]).mean()))
    return results
