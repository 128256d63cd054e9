"""`edge eval pad` and `edge pad calibrate` through the real entry point (real detector, real
PAD methods): simulated print attacks of the fixture photos against tracks of the carphone clip."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.capture.opencv import DEMO_CLIP
from edge.errors import BadInput
from edge.eval.pad import calibrate_offset, offset_for_bpcer, pad_report, rates, track_score
from edge.vision.pad.base import PadFrame, PadScore
from edge.vision.pad.config import PadSettings
from edge.vision.pad.stage import PadStage
from edge.vision.types import Box, Detection
from tests.conftest import FIXTURES
from tests.support.cli import run_edge
from tests.support.print_attack import cut_clip, print_attack_clip, write_track

INF = float("inf")


@pytest.fixture(autouse=True)
def isolated(default_env: None) -> None:
    """Default settings (PAD's default methods, no site file)."""


@pytest.fixture(scope="module")
def tracks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("pad")
    photos = [FIXTURES / "faces" / "Barack_Obama" / f"{k}.jpg" for k in (1, 2, 3)]
    for k, photo in enumerate(photos):
        write_track(root / "attacks" / f"{k}", print_attack_clip(cv2.imread(str(photo)), frames=8,
                                                                 size=(320, 240), seed=k))
    for k, clip in enumerate(cut_clip(DEMO_CLIP, frames=10, step=2)):
        if k in (0, 4, 5):  # the driver moves enough for the motion cue (others only later)
            write_track(root / "bona" / f"{k}", clip)
    return root / "bona", root / "attacks"


def test_eval_pad_json_and_plot(capsys, tracks, tmp_path) -> None:
    bona, attacks = tracks
    plot = tmp_path / "det.png"
    code, out, err = run_edge(capsys, "eval", "pad", "--bona-fide", str(bona), "--attacks", str(attacks),
                              "--json", "--plot", str(plot))
    assert code == 0, err
    report = json.loads(out)
    assert {"apcer", "bpcer", "acer", "n_bona_fide", "n_attacks"} <= report.keys()
    assert (report["n_bona_fide"], report["n_attacks"]) == (3, 3)
    assert report["apcer"] == 0 and report["bpcer"] == 0 and report["acer"] == 0
    assert set(report["apcer_at_bpcer"]) == {"0.01", "0.05", "0.1"}
    assert plot.stat().st_size > 0 or "matplotlib" in err


def test_pad_calibrate_from_folders_writes_the_site_file(capsys, tracks, tmp_path) -> None:
    bona, attacks = tracks
    site = tmp_path / "site.json"
    code, out, err = run_edge(capsys, "pad", "calibrate", "--bona-fide", str(bona), "--attacks", str(attacks),
                              "--out", str(site), "--json")
    assert code == 0, err
    record = json.loads(out)
    assert json.loads(site.read_text())["offset"] == record["offset"]
    assert record["after"]["bpcer"] <= 0.05 and record["after"]["apcer"] == 0
    assert record["before"]["offset"] == 0.0


def test_eval_pad_refuses_an_empty_folder(capsys, tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run_edge(capsys, "eval", "pad", "--bona-fide", str(tmp_path / "empty"), "--attacks",
                            str(tmp_path / "empty"))
    assert code == 2 and "no track sub-folders" in err


# -- the rates ------------------------------------------------------------------------------
def test_rates_count_an_undecided_track_as_rejected() -> None:
    bona, attacks = np.array([-0.5, -0.2, INF]), np.array([0.1, -0.3, INF])
    point = rates(bona, attacks, 0.0)
    assert (point.apcer, point.bpcer) == (pytest.approx(1 / 3), pytest.approx(1 / 3))
    report = pad_report(bona.tolist(), attacks.tolist(), 0.0)
    assert report["undecided_bona_fide"] == 1 and report["acer"] == pytest.approx(1 / 3)
    assert report["apcer_at_bpcer"]["0.1"] is None  # the undecided bona fide track is always rejected


def test_strictest_offset_meeting_the_bpcer_target() -> None:
    bona, attacks = np.array([-0.5, -0.4, -0.1, 0.2]), np.array([-0.3, 0.3, 0.5])
    assert offset_for_bpcer(bona, attacks, 0.25) == pytest.approx(0.2)  # rejects only the 0.2 track
    assert offset_for_bpcer(bona, attacks, 0.0) == pytest.approx(0.3)
    record = calibrate_offset(bona.tolist(), attacks.tolist(), 0.0, 0.25)
    assert record["before"]["apcer"] == pytest.approx(1 / 3) and record["after"]["bpcer"] == 0.25
    with pytest.raises(BadInput, match="never judged"):
        calibrate_offset([INF, INF], [0.1], 0.0, 0.05)


class Scripted:
    """A PAD method answering from a script, one answer per arrival (None = undecided)."""

    name = "scripted"

    window = 1

    def __init__(self, answers: list[float | None]) -> None:
        self.answers = answers

    def digest(self, frame):
        return None

    def score(self, track):
        attack = self.answers[len(track) - 1]
        return None if attack is None else PadScore(self.name, attack, 0.5, len(track))


def test_a_track_scores_the_first_verdict_the_door_acts_on() -> None:
    """Bona fide at the 4th frame, attack at the 6th: the door granted at the 4th, so the track
    counts as accepted (the score is that first verdict's, not the highest)."""
    frame = PadFrame(0.0, np.zeros((8, 8, 3), np.uint8), Detection(Box(0, 0, 4, 4), 0.9, np.zeros((6, 2))))
    script = [None, None, None, 0.2, None, 0.9, 0.9, 0.9]
    stage = PadStage(PadSettings(min_frames=3, max_frames=8), [Scripted(script)])
    assert track_score(stage, [frame] * 8) == pytest.approx(-0.3)
    never = PadStage(PadSettings(min_frames=3, max_frames=8), [Scripted([None] * 8)])
    assert track_score(never, [frame] * 8) == INF
