"""Parsing LFW pair lists: View 1 (one set) and View 2 (sets) layouts, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.errors import BadInput
from edge.eval.pairs import Pair, parse_pairs, read_pairs

ROOT = Path("/lfw")


def test_view1_layout_count_then_same_then_different() -> None:
    text = ("2\nAaron_Peirsol\t1\t2\nAaron_Peirsol\t3\t4\n"
            "AJ_Cook\t1\tMarsha_Thomason\t1\nAJ_Lamas\t1\tZach_Safrin\t12\n")
    pairs = parse_pairs(text, ROOT)
    assert pairs[0] == Pair(ROOT / "Aaron_Peirsol/Aaron_Peirsol_0001.jpg",
                            ROOT / "Aaron_Peirsol/Aaron_Peirsol_0002.jpg", True)
    assert pairs[3] == Pair(ROOT / "AJ_Lamas/AJ_Lamas_0001.jpg", ROOT / "Zach_Safrin/Zach_Safrin_0012.jpg",
                            False)
    assert [p.same for p in pairs] == [True, True, False, False]


def test_view2_layout_sets_of_same_then_different() -> None:
    text = "2\t1\nA\t1\t2\nB\t1\tC\t2\nD\t3\t4\nE\t1\tF\t1\n"
    pairs = parse_pairs(text, ROOT)
    assert [p.same for p in pairs] == [True, False, True, False]
    assert pairs[2].b == ROOT / "D/D_0004.jpg"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("two\nA 1 2\nB 1 C 1\n", "first line"),
        ("2\nA 1 2\nB 1 C 1\n", "promises 4 pairs"),
        ("1\nA 1 C 2\nB 1 C 1\n", "same person"),
        ("1\nA 1 2\nB 1 C\n", "different people"),
        ("1\nA 0 2\nB 1 C 1\n", "not an image number"),
    ],
)
def test_malformed_lists_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        parse_pairs(text, ROOT, "list.txt")


def test_missing_images_are_named(tmp_path: Path) -> None:
    listing = tmp_path / "pairs.txt"
    listing.write_text("1\nA 1 2\nA 1 B 1\n")
    with pytest.raises(BadInput, match=r"3 image\(s\).*A_0001.jpg"):
        read_pairs(listing, tmp_path)
