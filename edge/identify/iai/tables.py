"""The IAI score tables (protocols.md section 3) and which one applies to a decision.

1:1 (VerifyFace / VerifyPerson / CompareFace) depends on the group's face model version.
1:N search is documented for galleries of 10k, 100k and 300k faces; a gallery is judged by the
table of the smallest documented size that is at least its own size (a smaller gallery meets
the rate with room to spare, so the table errs on the safe side). These tables are stated for
model 3.0: each row equals the 3.0 1:1 table continued at its 10 points per decade, times the
gallery size (e.g. 90 -> 1e-8 per comparison, times 10k = 1e-4). Model 2.0 has no documented
1:N table: its 1:1 table is turned into one for the actual gallery size with
:func:`one_to_n_far`; galleries above 300k faces are judged the same way from the 300k table.
"""

from __future__ import annotations

from typing import Literal

from edge.identify.thresholds import FarTable, Threshold, door_threshold

SCALE = "0-100"

ModelVersion = Literal["2.0", "3.0"]

ONE_TO_ONE: dict[str, FarTable] = {
    "3.0": FarTable.from_pairs(SCALE, [(40, 1e-3), (50, 1e-4), (60, 1e-5)], "iai 1:1 model 3.0"),
    "2.0": FarTable.from_pairs(SCALE, [(70, 1e-3), (80, 1e-4), (90, 1e-5)], "iai 1:1 model 2.0"),
}

# (gallery size in faces, table), smallest first
ONE_TO_N: tuple[tuple[int, FarTable], ...] = (
    (10_000, FarTable.from_pairs(SCALE, [(70, 1e-2), (80, 1e-3), (90, 1e-4)], "iai 1:N 10k")),
    (100_000, FarTable.from_pairs(SCALE, [(80, 1e-2), (90, 1e-3), (100, 1e-4)], "iai 1:N 100k")),
    (300_000, FarTable.from_pairs(SCALE, [(85, 1e-2), (95, 1e-3)], "iai 1:N 300k")),
)

# VerifyFace / VerifyPerson answer IsMatch with this fixed cut.
IS_MATCH_SCORE = 60.0


def one_to_one_table(version: str) -> FarTable:
    """The 1:1 table of a face model version ("2.0" or "3.0")."""
    try:
        return ONE_TO_ONE[version]
    except KeyError:
        raise ValueError(f"no IAI score table for face model version {version!r}") from None


def verify_threshold(version: str, max_false_accept: float) -> Threshold:
    """The 1:1 score for the policy's false-accept rate."""
    return one_to_one_table(version).threshold_for(max_false_accept)


def search_basis(version: str, gallery_size: int) -> tuple[FarTable, int]:
    """The table that judges a 1:N score in a gallery of ``gallery_size`` entries, and the number
    of comparisons its rates are read for: the gallery itself under a documented 1:N table, the
    300k of the largest table beyond it, 1 for a 1:1 table (model 2.0)."""
    size = max(1, gallery_size)
    if version != "3.0":
        return one_to_one_table(version), 1
    for documented_size, table in ONE_TO_N:
        if size <= documented_size:
            return table, size
    largest_size, largest = ONE_TO_N[-1]
    return largest, largest_size


def search_threshold(version: str, gallery_size: int, max_false_accept: float) -> Threshold:
    """The 1:N score for the policy's false-accept rate in a gallery of ``gallery_size`` faces
    (persons, for SearchPersons); the returned rate is the one the score really stands for."""
    table, comparisons = search_basis(version, gallery_size)
    return door_threshold(table, max_false_accept, gallery_size, table_comparisons=comparisons)
