"""From the appliance's cosine similarity to YouTu's 0-100 scale, meaning what the table says.

A pair's cosine gives its false-accept rate through the local calibration; that rate gives the
YouTu score through the YouTu table (the documented stand-in by default). So a score of 80 means
what the documented table says 80 means, whatever the descriptor.

Both tables are clamped at their ends, which would pile every stranger on the table's lowest
score and every close match on its highest. The map therefore extends the YouTu table to the
whole 0-100 scale (0 = a coin toss, 100 = one more decade beyond its last row), and outside the
calibrated cosine range it runs linearly to 0 at cosine 0 and to 100 at cosine 1.
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
        decades_per_point = (math.log10(f0) - math.log10(f1)) / (s1 - s0)
        points.append((100.0, f1 * 10 ** (-decades_per_point * (100 - s1))))
    return FarTable.from_pairs(table.scale, points, key="youtu score table")


class ScoreMap:
    """``score(cosine) -> 0..100``, monotone."""

    def __init__(self, calibration: FarTable, youtu_table: FarTable) -> None:
        self._calibration = calibration
        self._youtu = _whole_scale(youtu_table)
        self._low_cos, self._high_cos = calibration.points[0][0], calibration.points[-1][0]
        self._low_score = self._calibrated(self._low_cos)
        self._high_score = self._calibrated(self._high_cos)

    def _calibrated(self, cosine: float) -> float:
        return self._youtu.threshold_for(self._calibration.far_for(cosine)).score

    def score(self, cosine: float) -> float:
        if cosine <= self._low_cos:
            share = max(0.0, cosine) / self._low_cos if self._low_cos > 0 else 0.0
            return round(self._low_score * share, 2)
        if cosine >= self._high_cos:
            share = (min(1.0, cosine) - self._high_cos) / max(1e-9, 1.0 - self._high_cos)
            return round(self._high_score + (100.0 - self._high_score) * share, 2)
        return round(self._calibrated(cosine), 2)

    def score_for_far(self, far: float) -> float:
        """The YouTu score standing for a false-accept rate (e.g. the ``ismatch`` cut)."""
        return self._youtu.threshold_for(far).score
