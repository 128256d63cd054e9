"""Metric functions against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from edge.eval.metrics import accuracy, auc, best_threshold, eer, fold_accuracies, roc, tar_at_far
from edge.eval.verify import PairScores, verification_report

# 3 genuine, 4 impostor; one impostor (0.75) outscores one genuine (0.7)
GENUINE = np.array([0.9, 0.8, 0.7])
IMPOSTOR = np.array([0.6, 0.75, 0.2, 0.1])


def test_auc_is_the_share_of_genuine_impostor_pairs_ranked_right() -> None:
    assert auc(GENUINE, IMPOSTOR) == pytest.approx(11 / 12)  # only (0.7, 0.75) is wrong
    assert auc(np.array([1.0]), np.array([0.0])) == 1.0
    assert auc(np.array([0.5]), np.array([0.5])) == pytest.approx(0.5)  # a tie counts half


def test_roc_starts_with_nothing_accepted_and_ends_with_everything() -> None:
    curve = roc(GENUINE, IMPOSTOR)
    assert (curve.far[0], curve.tar[0]) == (0.0, 0.0)
    assert (curve.far[-1], curve.tar[-1]) == (1.0, 1.0)
    assert np.all(np.diff(curve.far) >= 0) and np.all(np.diff(curve.tar) >= 0)


def test_eer_where_false_accepts_meet_false_rejects() -> None:
    # at 0.75 one impostor of 4 passes (FAR 1/4) and 0.7 is rejected (FRR 1/3); at 0.7 FRR is 0:
    # FRR falls from 1/3 to 0 while FAR stays 1/4, so they meet at 1/4
    assert eer(GENUINE, IMPOSTOR) == pytest.approx(0.25)
    assert eer(np.array([0.9, 0.8]), np.array([0.1, 0.2])) == 0.0


def test_tar_at_far_uses_the_loosest_threshold_within_the_rate() -> None:
    assert tar_at_far(GENUINE, IMPOSTOR, 0.0) == pytest.approx(2 / 3)  # cut above 0.75
    assert tar_at_far(GENUINE, IMPOSTOR, 0.1) == pytest.approx(2 / 3)
    assert tar_at_far(GENUINE, IMPOSTOR, 0.25) == 1.0


def test_best_threshold_and_accuracy() -> None:
    threshold = best_threshold(GENUINE, IMPOSTOR)
    assert accuracy(GENUINE, IMPOSTOR, threshold) == pytest.approx(6 / 7)  # one error is unavoidable
    assert accuracy(GENUINE, IMPOSTOR, 0.85) == pytest.approx(5 / 7)


def test_best_threshold_weighs_genuine_and_impostor_pairs_alike() -> None:
    # counting pairs, rejecting the genuine 0.5 costs 1 of 24 and accepting two impostors 2 of 24;
    # balanced, rejecting it costs half the genuine pairs and accepting them 2/22 of the impostors
    genuine, impostor = np.array([0.9, 0.5]), np.array([0.6, 0.55] + [0.1] * 20)
    assert best_threshold(genuine, impostor) <= 0.5


def test_fold_accuracy_chooses_the_threshold_on_the_other_folds() -> None:
    # LFW View 1 layout: all genuine pairs first, then all impostor pairs; fold k takes the k-th
    # half of each kind. Fold 1's data puts the cut at 0.35, which classifies fold 0 perfectly;
    # fold 0's data puts it at 0.5, where fold 1's genuine 0.4 is rejected and impostor 0.5 passes.
    scores = np.array([0.9, 0.8, 0.7, 0.4, 0.1, 0.2, 0.5, 0.3])
    same = np.array([True] * 4 + [False] * 4)
    assert fold_accuracies(scores, same, 2) == [1.0, 0.5]
    with pytest.raises(ValueError):
        fold_accuracies(scores, same, 5)  # more folds than pairs of a kind


def test_report_refuses_rates_the_pairs_cannot_support() -> None:
    report = verification_report(PairScores(np.concatenate([GENUINE, IMPOSTOR]),
                                            np.array([True] * 3 + [False] * 4)), folds=1, threshold=0.65)
    assert report["accuracy"] == pytest.approx(6 / 7) and report["accuracy_std"] == 0.0
    assert report["tar_at_far"] == {"1e-2": None, "1e-3": None}  # 4 impostor pairs: 1e-2 needs 100
    assert report["n_pairs"] == 7 and report["eer"] == pytest.approx(0.25)
