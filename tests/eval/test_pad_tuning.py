"""Choosing the PAD default on a tuning split (edge/eval/pad_tuning.py): the selection rule on
hand-made per-method track scores (the scoring itself is the methods', tested in tests/vision)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from edge.eval.pad_tuning import choose, fused, merged, report


def split(bona: list[dict[str, float | None]], attacks: list[dict[str, float | None]]) -> dict[str, Any]:
    """A scored split whose tracks each have one arrival; methods a row leaves out never decided."""
    thresholds = {"rigid_motion": 0.35, "blink": 0.5, "texture": 0.5}

    def tracks(rows: list[dict[str, float | None]], root: str) -> list[dict[str, Any]]:
        return [{"root": root, "track": f"{root}-{k}", "series": {m: [row.get(m)] for m in thresholds}}
                for k, row in enumerate(rows)]

    return {"thresholds": thresholds, "bona_fide": tracks(bona, "bona"), "attacks": tracks(attacks, "prints")}


def test_a_track_no_method_judged_is_rejected_and_any_takes_the_highest_margin() -> None:
    scores = np.array([[[0.2, np.nan]], [[np.nan, np.nan]], [[0.9, 0.1]]])  # 3 tracks, 1 arrival, 2 methods
    assert fused(scores, np.array([0.35, 0.5])).tolist() == pytest.approx([-0.15, np.inf, 0.55])


def test_the_first_verdict_counts_as_at_the_door() -> None:
    """Bona fide at the 4th frame, attack at the 6th: the door has granted at the 4th."""
    late = np.array([[[np.nan], [0.1], [np.nan], [0.9]]])
    assert fused(late, np.array([0.35])).tolist() == pytest.approx([-0.25])


def test_the_choice_keeps_bpcer_within_target_and_leaves_room_on_both_sides() -> None:
    tune = split([{"rigid_motion": v, "blink": None} for v in (0.1, 0.2, 0.3, 0.45)],
                 [{"rigid_motion": v, "blink": 0.3} for v in (0.5, 0.8, 0.9, 1.0)])
    thresholds = choose(tune, bpcer_target=0.0)
    assert list(thresholds) == ["rigid_motion"]  # blink never says attack: it cannot catch prints
    assert 0.45 < thresholds["rigid_motion"] <= 0.5  # between the classes, not at the default 0.35
    held = split([{"rigid_motion": 0.6, "blink": None}], [{"rigid_motion": 0.4, "blink": None}])
    figures = report(held, thresholds)
    assert (figures["apcer"], figures["bpcer"]) == (1.0, 1.0)
    assert figures["attacks_by_folder"] == {"prints": {"apcer": 1.0, "n": 1}}


def test_a_second_method_is_added_only_when_it_takes_enough_attacks_off() -> None:
    bona: list[dict[str, float | None]] = [{"rigid_motion": 0.1, "texture": 0.1}] * 10
    caught: list[dict[str, float | None]] = [{"rigid_motion": 0.9, "texture": 0.1}] * 150

    def missed(n: int) -> list[dict[str, float | None]]:  # rigid_motion misses them, texture does not
        return [{"rigid_motion": 0.1, "texture": 0.9}] * n

    assert list(choose(split(bona, caught + missed(1)), bpcer_target=0.0)) == ["rigid_motion"]
    assert set(choose(split(bona, caught + missed(3)), bpcer_target=0.0)) == {"rigid_motion", "texture"}
    assert list(choose(split(bona, caught + missed(1)), 0.0, min_gain=0.0)) != ["rigid_motion"]


def test_no_combination_within_the_target_is_an_error() -> None:
    tune = split([{"rigid_motion": None, "blink": None}], [{"rigid_motion": 0.9, "blink": None}])
    with pytest.raises(SystemExit, match="no combination"):
        choose(tune, bpcer_target=0.05)


def test_score_files_of_the_same_tracks_join_their_methods(tmp_path) -> None:
    candidates = split([{"rigid_motion": 0.2}], [{"rigid_motion": 0.9}])
    retired = {"thresholds": {"live": 0.5},
               "bona_fide": [{"root": "bona", "track": "bona-0", "series": {"live": [0.1]}}],
               "attacks": [{"root": "prints", "track": "prints-0", "series": {"live": [0.3]}}]}
    paths = [tmp_path / "a.json", tmp_path / "b.json"]
    for path, part in zip(paths, (candidates, retired)):
        path.write_text(json.dumps(part))
    joined = merged(paths)
    assert len(joined["bona_fide"]) == 1 and len(joined["attacks"]) == 1
    assert joined["attacks"][0]["series"] == {"rigid_motion": [0.9], "blink": [None], "texture": [None],
                                              "live": [0.3]}
    assert report(joined, {"rigid_motion": 0.35, "live": 0.5})["apcer"] == 0.0
