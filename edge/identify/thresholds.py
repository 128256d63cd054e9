"""Score <-> false-accept rate tables: one risk policy for every backend.

A table is a list of (score, false-accept rate) points on a backend's own scale; between points
the rate is interpolated log-linearly, beyond the ends it is clamped (a threshold is never
extrapolated past what the vendor documents or the data measured).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from edge.errors import ConfigError


@dataclass(frozen=True)
class Threshold:
    """A backend's cut on its own scale and the false-accept rate it stands for."""

    score: float
    scale: str
    far: float
    calibration: str = "documented"  # the table's source: "documented" (the vendor's), "configured"
    # (an operator's table for a cloud), "shipped" or "site+shipped" (the local descriptor's)


@dataclass(frozen=True)
class FarTable:
    """Monotone table: higher score -> lower false-accept rate."""

    scale: str
    points: tuple[tuple[float, float], ...]

    @classmethod
    def from_pairs(cls, scale: str, pairs: Sequence[Sequence[float]], key: str = "table") -> FarTable:
        points = tuple(sorted((float(s), float(f)) for s, f in pairs))
        problems = []
        if len(points) < 2:
            problems.append(f"{key}: needs at least two (score, false_accept) points")
        if any(not 0 < f < 1 for _, f in points):
            problems.append(f"{key}: false-accept rates must lie strictly between 0 and 1")
        if any(b[1] >= a[1] for a, b in zip(points, points[1:])):
            problems.append(f"{key}: the false-accept rate must fall as the score rises")
        if problems:
            raise ConfigError(problems)
        return cls(scale, points)

    @property
    def lowest_far(self) -> float:
        return self.points[-1][1]

    def threshold_for(self, far: float) -> Threshold:
        """The smallest score whose false-accept rate is at most ``far``.

        A policy stricter than the table's last row cannot be honoured: the last row's score is
        returned with the rate it really stands for, so the event records the truth.
        """
        if far >= self.points[0][1]:
            score, rate = self.points[0]
            return Threshold(score, self.scale, rate)
        for (s0, f0), (s1, f1) in zip(self.points, self.points[1:]):
            if f1 <= far <= f0:
                t = (math.log(far) - math.log(f0)) / (math.log(f1) - math.log(f0))
                return Threshold(s0 + t * (s1 - s0), self.scale, far)
        score, rate = self.points[-1]
        return Threshold(score, self.scale, rate)

    def far_for(self, score: float) -> float:
        """The false-accept rate a score stands for (clamped to the table's ends)."""
        if score <= self.points[0][0]:
            return self.points[0][1]
        for (s0, f0), (s1, f1) in zip(self.points, self.points[1:]):
            if s0 <= score <= s1:
                t = (score - s0) / (s1 - s0)
                return math.exp(math.log(f0) + t * (math.log(f1) - math.log(f0)))
        return self.points[-1][1]


def one_to_n_far(far_1to1: float, gallery_size: int) -> float:
    """False-positive identification rate of a 1:N search built from a 1:1 rate.

    A stranger compared with N independent entries is accepted if any comparison passes:
    ``1 - (1 - p)^N``, about ``N * p`` for small p.
    """
    n = max(1, gallery_size)
    return -math.expm1(n * math.log1p(-far_1to1))


def one_to_one_far(far_1ton: float, gallery_size: int) -> float:
    """The 1:1 rate each comparison must meet for a 1:N search to meet ``far_1ton``."""
    n = max(1, gallery_size)
    return -math.expm1(math.log1p(-far_1ton) / n)


def table_source(configured: Sequence[Sequence[float]], documented: Sequence[Sequence[float]]) -> str:
    """A cloud backend's calibration label: ``documented`` while its score table is the vendor's
    (the default), ``configured`` once the operator set another."""
    same = [tuple(map(float, row)) for row in configured] == [tuple(map(float, row)) for row in documented]
    return "documented" if same else "configured"


def door_threshold(table: FarTable, policy: float, gallery_size: int, *, table_comparisons: int = 1,
                   min_score: float | None = None, calibration: str = "documented") -> Threshold:
    """The cut on ``table`` for the door's policy, stating the 1:N rate it really stands for.

    ``policy`` is the door's 1:N false-accept rate (FPIR) over ``gallery_size`` people searched
    (docs/risk.md), so each comparison may pass at most ``one_to_one_far(policy, N)``. ``table``
    states rates per comparison, or per search of ``table_comparisons`` entries (a vendor's 1:N
    table for a gallery of that size, e.g. IAI's 10k). ``min_score``: the least score the API
    ever returns a candidate at (SenseTime identifies above 0.6 only), a floor on the cut. The
    returned ``far`` is always the 1:N rate over ``gallery_size``: what every event records as
    ``false_accept``, whichever backend decided; a table that stops short gives a higher rate
    than the policy (the caller must not grant on it, :func:`policy_allows`).
    """
    n = max(1, gallery_size)
    per_comparison = one_to_one_far(policy, n)
    cut = table.threshold_for(one_to_n_far(per_comparison, table_comparisons))
    score, row_far = cut.score, cut.far
    if min_score is not None and score < min_score:
        score, row_far = min_score, table.far_for(min_score)
    fpir = one_to_n_far(one_to_one_far(row_far, table_comparisons), n)
    return Threshold(score, table.scale, fpir, calibration)


def policy_allows(far: float, policy: float, accept_up_to: float | None = None) -> bool:
    """Whether a cut standing for the 1:N rate ``far`` may grant: it meets ``policy``, or the
    operator accepted weaker rates up to ``accept_up_to``. A rate that went through a 1:N round
    trip may differ from the policy in its last digits, hence the rounding allowance."""
    rounding = 1 + 1e-9
    return far <= policy * rounding or (accept_up_to is not None and far <= accept_up_to * rounding)
