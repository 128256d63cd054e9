"""Which documented table judges a score, and that the emulator's scale honours the tables."""

from __future__ import annotations

import math

import pytest

from edge.emulators.iai.scoring import Scorer
from edge.identify.iai.tables import search_threshold, verify_threshold
from edge.identify.thresholds import FarTable, one_to_n_far


@pytest.mark.parametrize(
    ("size", "far", "score"),
    [
        (1, 1e-4, 90.0),  # a tiny gallery is judged by the 10k table
        (10_000, 1e-4, 90.0),
        (10_000, 1e-3, 80.0),
        (10_001, 1e-4, 100.0),  # just above 10k: the 100k table
        (100_000, 1e-2, 80.0),
        (300_000, 1e-3, 95.0),
    ],
)
def test_model_3_search_uses_the_smallest_documented_gallery_at_least_as_large(
    size: int, far: float, score: float
) -> None:
    cut = search_threshold("3.0", size, far)
    assert cut.score == pytest.approx(score)
    assert cut.far == pytest.approx(far)
    assert cut.scale == "0-100"


def test_a_policy_stricter_than_the_table_records_the_rate_it_really_gets() -> None:
    cut = search_threshold("3.0", 300_000, 1e-4)  # the 300k table ends at 95 -> 1e-3
    assert (cut.score, cut.far) == (95.0, pytest.approx(1e-3))


def test_beyond_300k_faces_the_300k_table_is_scaled_to_the_gallery() -> None:
    cut = search_threshold("3.0", 600_000, 1e-2)
    assert cut.score > 85.0
    assert cut.far == pytest.approx(1e-2)


def test_model_2_has_no_1_to_n_table_so_its_1_to_1_table_is_turned_into_one() -> None:
    cut = search_threshold("2.0", 10, 1e-4)  # 1e-5 per comparison -> 90 on the 2.0 table
    assert cut.score == pytest.approx(90.0, abs=0.01)
    assert cut.far == pytest.approx(1e-4, rel=1e-3)
    worst = search_threshold("2.0", 10_000, 1e-4)  # out of the table: 90 stands for ~10 %
    assert worst.score == 90.0
    assert worst.far == pytest.approx(one_to_n_far(1e-5, 10_000))


def test_verification_uses_the_model_versions_table() -> None:
    assert verify_threshold("3.0", 1e-4).score == pytest.approx(50.0)
    assert verify_threshold("2.0", 1e-4).score == pytest.approx(80.0)
    assert verify_threshold("3.0", 1e-3).score == pytest.approx(40.0)
    with pytest.raises(ValueError, match="1.0"):
        verify_threshold("1.0", 1e-4)


CALIBRATION = FarTable.from_pairs("cosine", [(0.80, 1e-2), (0.85, 1e-3), (0.90, 1e-4), (0.93, 1e-5)])


@pytest.mark.parametrize(("version", "score_at_1e_4"), [("3.0", 50.0), ("2.0", 80.0)])
def test_emulator_scores_follow_the_1_to_1_table(version: str, score_at_1e_4: float) -> None:
    scorer = Scorer(CALIBRATION)
    assert scorer.score(0.90, version) == pytest.approx(score_at_1e_4)
    assert scorer.score(0.85, version) == pytest.approx(score_at_1e_4 - 10)
    assert scorer.score(0.0, version) == 0.0
    assert scorer.score(1.0, version) <= 100.0


@pytest.mark.parametrize(("size", "table_score", "table_far"), [(10_000, 90, 1e-4), (100_000, 80, 1e-2),
                                                                   (300_000, 95, 1e-3)])
def test_the_emulators_continued_scale_reproduces_each_1_to_n_table(
    size: int, table_score: float, table_far: float
) -> None:
    """A 3.0 score s stands for a per-comparison rate r(s); among N faces a stranger passes with
    about N * r(s): that must be the documented 1:N rate (rounded: 3e5 * 10^-8.5 = 0.95e-3)."""
    scorer = Scorer(FarTable.from_pairs("cosine", [(0.5, 1e-1), (0.99, 1e-10)]))  # reaches 100
    cosines = [i / 100_000 for i in range(50_000, 100_001)]
    cosine = min(cosines, key=lambda c: abs(scorer.score(c, "3.0") - table_score))
    per_comparison = math.exp(scorer.log_far(cosine))
    assert one_to_n_far(per_comparison, size) == pytest.approx(table_far, rel=0.06)
