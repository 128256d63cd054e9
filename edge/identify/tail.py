"""The upper tail of impostor scores: a generalized Pareto fit, so that rates far below what the
measured comparisons can show (1e-6 to 1e-8 per comparison) are estimated, not extrapolated from
another population's table.

Peaks over threshold (Pickands 1975; Balkema & de Haan 1974): above a high cut ``u`` the excess
``y = s - u`` of a score follows a generalized Pareto distribution,
``P(Y > y) = (1 - k y / sigma) ** (1 / k)`` (Hosking & Wallis's parameterization: ``k > 0`` a
bounded tail, as cosine similarities have, ``k < 0`` a heavy one). ``k`` and ``sigma`` are
estimated by probability-weighted moments (Hosking & Wallis 1987, "Parameter and quantile
estimation for the generalized Pareto distribution", Technometrics 29(3)), which are closed-form
and better behaved than maximum likelihood for the few hundred exceedances a door has. The
uncertainty of the fit is taken by bootstrap: the threshold a door uses is an upper confidence
bound, so a small population errs on the strict side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_EXCEEDANCES = 30
# exceedances used: a share of the scores, bounded (too few: an unstable fit; too many: the fit
# reaches down into the body of the distribution, where the GPD does not hold)
EXCEEDANCE_SHARE = 0.05
MAX_EXCEEDANCES = 2000


@dataclass(frozen=True)
class ParetoTail:
    """A generalized Pareto tail above ``cut``: ``P(score > s) = rate_above_cut * (1 - k (s - cut) /
    sigma) ** (1 / k)`` for ``s >= cut``."""

    cut: float
    rate_above_cut: float  # share of all scores above the cut
    k: float
    sigma: float

    def score_for(self, rate: float) -> float:
        """The score exceeded with probability ``rate`` (``rate < rate_above_cut``)."""
        q = min(1.0, rate / self.rate_above_cut)
        if abs(self.k) < 1e-9:
            return self.cut - self.sigma * float(np.log(q))
        return self.cut + self.sigma * (1.0 - q ** self.k) / self.k

    def rate_for(self, score: float) -> float:
        """``P(score > s)`` for ``s >= cut``."""
        y = max(0.0, score - self.cut)
        if abs(self.k) < 1e-9:
            return self.rate_above_cut * float(np.exp(-y / self.sigma))
        base = 1.0 - self.k * y / self.sigma
        return 0.0 if base <= 0 else self.rate_above_cut * base ** (1.0 / self.k)


def fit_tail(scores: Sequence[float] | np.ndarray, n_exceedances: int | None = None) -> ParetoTail:
    """Fit the upper tail of ``scores`` (1-D, any order).

    Raises ValueError when there are fewer than :data:`MIN_EXCEEDANCES` exceedances to fit.
    """
    ordered = np.sort(np.asarray(scores, np.float64))
    n = len(ordered)
    m = n_exceedances or min(MAX_EXCEEDANCES, max(MIN_EXCEEDANCES, int(EXCEEDANCE_SHARE * n)))
    if m < MIN_EXCEEDANCES or n <= m:
        raise ValueError(f"{n} scores: too few to fit a tail (needs more than {MIN_EXCEEDANCES})")
    cut = float((ordered[n - m - 1] + ordered[n - m]) / 2)
    fit = _fit_excess(ordered[n - m:] - cut, cut, m / n)
    if fit is None:
        raise ValueError(f"{n} scores: the top {m} are all equal, no tail to fit")
    return fit


def _fit_excess(excess: np.ndarray, cut: float, rate_above_cut: float) -> ParetoTail | None:
    """Probability-weighted-moment estimates from ascending excesses over ``cut``."""
    m = len(excess)
    a0 = float(excess.mean())
    weights = (m - 1 - np.arange(m)) / (m - 1)  # (n - i) / (n - 1) for the i-th smallest
    a1 = float((excess * weights).mean())
    if a0 <= 0 or a0 - 2 * a1 <= 0:
        return None
    k = a0 / (a0 - 2 * a1) - 2
    sigma = 2 * a0 * a1 / (a0 - 2 * a1)
    return ParetoTail(cut, rate_above_cut, k, sigma)


@dataclass(frozen=True)
class TailBound:
    """A tail fit and its bootstrap replicates: thresholds at an upper confidence bound."""

    fit: ParetoTail
    replicates: tuple[ParetoTail, ...]
    max_score: float  # the highest score measured
    n: int  # scores measured

    def score_for(self, rate: float, confidence: float = 0.95) -> float:
        """The score impostors exceed with probability at most ``rate``, at ``confidence``;
        never below the highest measured score when ``rate`` is below one in ``n``."""
        estimates = [self.fit.score_for(rate), *(r.score_for(rate) for r in self.replicates)]
        bound = float(np.quantile(estimates, confidence))
        return max(bound, self.max_score) if rate * self.n < 1 else bound


def bound_tail(scores: Sequence[float] | np.ndarray, *, bootstrap: int = 200, seed: int = 0) -> TailBound:
    """Fit the tail and ``bootstrap`` replicates (all scores resampled, so the cut and the
    exceedances vary; a fixed ``seed`` makes it repeatable). Raises ValueError when too few scores."""
    values = np.asarray(scores, np.float64)
    fit = fit_tail(values)
    rng = np.random.default_rng(seed)
    replicates = []
    for _ in range(bootstrap):
        try:
            replicates.append(fit_tail(values[rng.integers(0, len(values), len(values))]))
        except ValueError:
            continue
    return TailBound(fit, tuple(replicates), float(values.max()), len(values))
