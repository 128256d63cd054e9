"""Cosine similarity of the appliance's descriptor -> an IAI score (0-100).

The descriptor's calibration turns a cosine into the false-accept rate of one comparison.

* 1:1 (VerifyFace, VerifyPerson, CompareFace, CreateFace's check): the documented 1:1 table of
  the face model version turns that rate into the score.
* 1:N (the searches): the rate of the whole search, ``1 - (1 - p)^N`` over the gallery's N
  entries, is turned into a score by the table the backend judges that gallery with
  (:func:`edge.identify.iai.tables.search_basis`). So the documented table states the search's
  false-accept rate exactly, and the door's policy holds. (Tencent's own scores in a gallery far
  smaller than 10k faces are more conservative than that; the emulator is exact instead.)

All tables are continued past their ends along their end segments (log-linear), so a genuine
pair scores up to 100 and a clear stranger down to 0. The calibration measures rates down to
about one impostor pair in its data set; rates beyond that are extrapolated, not measured: they
keep the scale monotone, they are no claim.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from edge.identify.iai.tables import one_to_one_table, search_basis
from edge.identify.thresholds import FarTable

# DetectFaceSimilarity documents one row: "70 or more is the same person; the fixed cut 70 lets
# one impostor in 10,000 pass". Its slope is not documented; the 3.0 1:1 table's (10 points a
# decade, 40/50/60 -> 1e-3/1e-4/1e-5) is borrowed, so 60 -> 1e-3 and 80 -> 1e-5 are assumptions.
SIMILARITY_TABLE = FarTable.from_pairs("0-100", [(60, 1e-3), (70, 1e-4), (80, 1e-5)])


def _continued(xs: Sequence[float], ys: Sequence[float], x: float) -> float:
    """Piecewise-linear y(x) through the points (xs ascending), continued along the end segments."""
    k = 1
    while k < len(xs) - 1 and x > xs[k]:
        k += 1
    x0, x1, y0, y1 = xs[k - 1], xs[k], ys[k - 1], ys[k]
    return y0 + (x - x0) * (y1 - y0) / (x1 - x0)


def _score_for(table: FarTable, log_rate: float) -> float:
    log_rates = [math.log(f) for _, f in reversed(table.points)]  # ascending
    scores = [s for s, _ in reversed(table.points)]
    return round(min(100.0, max(0.0, _continued(log_rates, scores, log_rate))), 2)


class Scorer:
    def __init__(self, calibration: FarTable) -> None:
        self._cosines = [s for s, _ in calibration.points]
        self._log_fars = [math.log(f) for _, f in calibration.points]

    def log_far(self, cosine: float) -> float:
        """Natural log of one comparison's false-accept rate (continued past the calibration)."""
        return _continued(self._cosines, self._log_fars, cosine)

    def score(self, cosine: float, version: str) -> float:
        """The 1:1 score of a pair with this cosine, for a group of this model version."""
        return _score_for(one_to_one_table(version), self.log_far(cosine))

    def similarity_score(self, cosine: float) -> float:
        """DetectFaceSimilarity's score of a pair with this cosine (:data:`SIMILARITY_TABLE`)."""
        return _score_for(SIMILARITY_TABLE, self.log_far(cosine))

    def search_score(self, cosine: float, version: str, gallery_size: int) -> float:
        """The score of a search hit with this cosine among ``gallery_size`` entries."""
        table, comparisons = search_basis(version, gallery_size)
        per_comparison = min(math.exp(self.log_far(cosine)), 1 - 1e-9)
        # log(1 - (1 - p)^n), computed without losing tiny rates
        log_rate = math.log(-math.expm1(comparisons * math.log1p(-per_comparison)))
        return _score_for(table, log_rate)
