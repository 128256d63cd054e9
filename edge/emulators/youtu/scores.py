"""From the appliance's cosine similarity to YouTu's 0-100 scale, meaning what the table says.

A pair's cosine gives its false-accept rate through the local calibration; that rate gives the
YouTu score through the YouTu table (the documented stand-in by default). So a score of 80 means
what the documented table says 80 means, whatever the descriptor.

Both tables are clamped at their ends, which would put every close match on one score (the
shipped calibration's strictest row is about 1e-3: one impostor pair in ~1,000). So both are
continued log-linearly past their ends with the slope of their end segments, as ``FarTable``
interpolates between rows: the calibration to any cosine (rates at most 0.5, a coin toss), the
YouTu table from 0 (= 0.5) to 100 (one more step of its last segment). Rates past the
calibration's strictest row are an extrapolation of the measured tail, not a measurement.
"""

from __future__ import annotations

import math

from edge.identify.thresholds import FarTable

COIN_TOSS = 0.5


def _whole_scale(table: FarTable) -> FarTable:
    points = list(table.points)
    if points[0][0] > 0 and points[0][1] < COIN_TOSS:
        points.insert(0, (0.0, COIN_TOSS))
    if points[-1][0] < 100:
        (s0, f0), (s1, f1) = points[-2], points[-1]
        points.append((100.0, f1 * (f1 / f0) ** ((100 - s1) / (s1 - s0))))
    return FarTable.from_pairs(table.scale, points, key="youtu score table")


class ScoreMap:
    """``score(cosine) -> 0..100``, monotone."""

    def __init__(self, calibration: FarTable, youtu_table: FarTable) -> None:
        self._calibration = calibration
        self._youtu = _whole_scale(youtu_table)
        self._first = calibration.points[:2]
        self._last = calibration.points[-2:]

    def far(self, cosine: float) -> float:
        """The calibration's rate, continued past both ends along its end segments (at most 0.5)."""
        low, high = self._first[0][0], self._last[1][0]
        if low <= cosine <= high:
            return self._calibration.far_for(cosine)
        (c0, f0), (c1, f1) = self._last if cosine > high else self._first
        log_far = math.log(f1) + (cosine - c1) / (c1 - c0) * math.log(f1 / f0)
        return math.exp(min(math.log(COIN_TOSS), max(log_far, -700.0)))

    def score(self, cosine: float) -> float:
        return round(self._youtu.threshold_for(self.far(cosine)).score, 2)

    def score_for_far(self, far: float) -> float:
        """The YouTu score standing for a false-accept rate (e.g. the ``ismatch`` cut)."""
        return self._youtu.threshold_for(far).score
