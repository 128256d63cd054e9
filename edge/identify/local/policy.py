"""The local backend's cut for the door's policy, and whether the policy can be met at all.

The policy is a 1:N rate (a stranger accepted as *anyone* of the N people searched). Each
comparison must then pass at most ``one_to_one_far(policy, N)``; the cut comes from the stricter
of the site table and the shipped one. When no table reaches that rate (the gallery is too large,
the site's population scores too high, too few impostors were measured), the cut found stands for
a weaker rate than the policy: the door must not grant on it (``policy_unreachable``) unless the
operator explicitly accepted a weaker rate (``access.accept_false_accept_up_to``).
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.identify.local.site import CalibrationSource, SiteCalibration, stricter
from edge.identify.thresholds import FarTable, door_threshold, one_to_one_far, policy_allows


@dataclass(frozen=True)
class PolicyThreshold:
    score: float  # the per-comparison cut (cosine)
    far_1to1: float  # the per-comparison rate the cut stands for
    fpir: float  # the 1:N rate over ``n_people``: what a granted event states
    policy: float  # the configured 1:N rate
    n_people: int
    calibration: CalibrationSource

    @property
    def meets_policy(self) -> bool:
        return policy_allows(self.fpir, self.policy)

    def describe(self) -> str:
        verdict = "met" if self.meets_policy else "NOT met"
        return (f"policy {self.policy:g} over {count_people(self.n_people)}: per comparison "
                f"{one_to_one_far(self.policy, self.n_people):.2g} needed, the {self.calibration} "
                f"calibration gives cut {self.score:.4f} for {self.far_1to1:.2g} "
                f"(1:N {self.fpir:.2g}): {verdict}")


def count_people(n: int) -> str:
    """``n`` with its noun: "1 person", "2 people"."""
    return f"{n} person" if n == 1 else f"{n} people"


def calibrated_table(shipped: FarTable, site: SiteCalibration | None) -> tuple[FarTable, CalibrationSource]:
    """The table the door uses: the stricter of site and shipped when the site has one."""
    table = site.table if site is not None else None
    if table is None:
        return shipped, "shipped"
    return stricter(table, shipped), "site+shipped"


def policy_threshold(shipped: FarTable, site: SiteCalibration | None, policy: float,
                     n_people: int) -> PolicyThreshold:
    """The cut for ``policy`` (1:N) over ``n_people`` and the rate it really stands for."""
    table, source = calibrated_table(shipped, site)
    n = max(1, n_people)
    cut = door_threshold(table, policy, n, calibration=source)
    return PolicyThreshold(cut.score, one_to_one_far(cut.far, n), cut.far, policy, n, source)
