"""Cosine similarity of the appliance's descriptor -> an IAI score (0-100).

The descriptor's calibration turns a cosine into the false-accept rate it stands for; the
documented 1:1 table of the face model version turns that rate into the score Tencent would
give. Both tables are continued past their ends along their end segments (log-linear), so a
genuine pair scores up to 100 and a clear stranger down to 0. For model 3.0 the continued 1:1
table (10 points per decade) also reproduces every documented 1:N table (see
:mod:`edge.identify.iai.tables`), so the emulator's search scores honour those tables too.
Rates beyond the measured ends are not claims: they only keep the scale monotone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from edge.identify.iai.tables import one_to_one_table
from edge.identify.thresholds import FarTable


def _continued(xs: Sequence[float], ys: Sequence[float], x: float) -> float:
    """Piecewise-linear y(x) through the points (xs ascending), continued along the end segments."""
    k = 1
    while k < len(xs) - 1 and x > xs[k]:
        k += 1
    x0, x1, y0, y1 = xs[k - 1], xs[k], ys[k - 1], ys[k]
    return y0 + (x - x0) * (y1 - y0) / (x1 - x0)


class Scorer:
    def __init__(self, calibration: FarTable) -> None:
        self._cosines = [s for s, _ in calibration.points]
        self._log_fars = [math.log(f) for _, f in calibration.points]

    def log_far(self, cosine: float) -> float:
        """Natural log of the false-accept rate of a cosine (continued past the calibration)."""
        return _continued(self._cosines, self._log_fars, cosine)

    def score(self, cosine: float, version: str) -> float:
        """The 0-100 score of a pair with this cosine, for a group of this model version."""
        table = one_to_one_table(version)
        log_fars = [math.log(f) for _, f in reversed(table.points)]  # ascending
        scores = [s for s, _ in reversed(table.points)]
        value = _continued(log_fars, scores, self.log_far(cosine))
        return round(min(100.0, max(0.0, value)), 2)
