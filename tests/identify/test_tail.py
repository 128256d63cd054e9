"""The impostor tail fit: rates far below what the scores show, estimated on the strict side."""

from __future__ import annotations

import numpy as np
import pytest

from edge.identify.tail import bound_tail, fit_tail


def test_an_exponential_tail_is_recovered() -> None:
    """Above any cut an exponential's excess is exponential (GPD with k = 0, sigma = its scale)."""
    scores = np.random.default_rng(0).exponential(0.01, 200_000)
    tail = fit_tail(scores)
    assert tail.k == pytest.approx(0.0, abs=0.05) and tail.sigma == pytest.approx(0.01, rel=0.1)
    true_cut = -0.01 * np.log(1e-7)  # P(X > x) = exp(-x / 0.01)
    assert tail.score_for(1e-7) == pytest.approx(true_cut, rel=0.12)  # two decades past the data
    assert 1e-8 < tail.rate_for(true_cut) < 1e-6


def test_the_upper_bound_is_stricter_than_the_point_and_keeps_the_rate() -> None:
    """Fitted on 5,000 normal scores, the 95% bound at 1e-6 lets through at most about 1e-6 of a
    million fresh ones (a normal's tail is lighter than exponential: the fit errs strict)."""
    rng = np.random.default_rng(1)
    bound = bound_tail(rng.normal(0.5, 0.05, 5_000))
    assert bound.score_for(1e-6) >= bound.fit.score_for(1e-6)
    fresh = rng.normal(0.5, 0.05, 1_000_000)
    assert np.mean(fresh >= bound.score_for(1e-4)) <= 2e-4
    assert bound.score_for(1e-9) >= 0.5 + 0.05 * 5.9  # never below the normal's own 1e-9 quantile


def test_too_few_scores_cannot_be_fitted() -> None:
    with pytest.raises(ValueError, match="too few"):
        fit_tail(np.arange(20.0))
