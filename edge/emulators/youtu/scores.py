"""From the appliance's cosine similarity to YouTu's 0-100 scale, meaning what the table says.

Up to the YouTu table's last row a pair's cosine gives its false-accept rate through the local
calibration, and that rate gives the YouTu score through the YouTu table (the documented
stand-in by default: 70/80/90 -> 1e-3/1e-4/1e-5, protocols.md section 1). So a score of 80 means
what the documented table says 80 means, whatever the descriptor.

Below the table's first row the scale runs down to 0, which stands for a coin toss (0.5), along
the calibration continued past its first row with the slope of its first segment.

Above the table's last row (90) YouTu documents no rate, but seed 001 gives the top of its
scale a meaning: a face whose similarity to one the person holds is 99 or more is a duplicate
(-1312). So from the cosine of the last row's rate up to 1.0 (the same photo) the score rises
linearly from 90 to 100: 99 is nine tenths of the way from "1e-5" to "identical". A score above
the last row claims nothing but "rarer than 1e-5, and this close to the same image".
"""

from __future__ import annotations

import math

from edge.identify.thresholds import FarTable

COIN_TOSS = 0.5
TOP = 100.0  # the score of two identical descriptors (cosine 1)


def _from_zero(table: FarTable) -> FarTable:
    points = list(table.points)
    if points[0][0] > 0 and points[0][1] < COIN_TOSS:
        points.insert(0, (0.0, COIN_TOSS))
    return FarTable.from_pairs(table.scale, points, key="youtu score table")


class ScoreMap:
    """``score(cosine) -> 0..100``, monotone and continuous."""

    def __init__(self, calibration: FarTable, youtu_table: FarTable) -> None:
        self._calibration = calibration
        self._youtu = _from_zero(youtu_table)
        self._first = calibration.points[:2]
        self._last = calibration.points[-2:]
        last_score, last_far = self._youtu.points[-1]
        self._top_row = last_score
        self._top_cosine = self._cosine_for(last_far)

    def far(self, cosine: float) -> float:
        """The calibration's rate, continued past both ends along its end segments (at most 0.5)."""
        low, high = self._first[0][0], self._last[1][0]
        if low <= cosine <= high:
            return self._calibration.far_for(cosine)
        (c0, f0), (c1, f1) = self._last if cosine > high else self._first
        log_far = math.log(f1) + (cosine - c1) / (c1 - c0) * math.log(f1 / f0)
        return math.exp(min(math.log(COIN_TOSS), max(log_far, -700.0)))

    def _cosine_for(self, far: float) -> float:
        """The cosine whose rate is ``far`` (the inverse of :meth:`far`, by bisection: monotone)."""
        low, high = -1.0, 1.0
        for _ in range(60):
            middle = (low + high) / 2
            low, high = (middle, high) if self.far(middle) > far else (low, middle)
        return high

    def score(self, cosine: float) -> float:
        if cosine <= self._top_cosine or self._top_cosine >= 1.0:
            return round(self._youtu.threshold_for(self.far(cosine)).score, 2)
        share = min(1.0, (cosine - self._top_cosine) / (1.0 - self._top_cosine))
        return round(self._top_row + share * (TOP - self._top_row), 2)

    def score_for_far(self, far: float) -> float:
        """The YouTu score standing for a false-accept rate (e.g. the ``ismatch`` cut); a rate
        stricter than the table's last row gets that row (it documents nothing stricter)."""
        return self._youtu.threshold_for(far).score
