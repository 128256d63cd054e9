"""Liveness signals per face, and the detection evaluation used by `edge eval detect`."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from edge.eval.detection import evaluate_detection, time_per_call
from edge.vision.config import VisionSettings
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Liveness
from tests.vision.conftest import ASTRONAUT, NO_FACE, load


def test_liveness_signals_are_scores_per_face(analyzer: FaceAnalyzer) -> None:
    face = analyzer.analyze(load(ASTRONAUT), describe=False)[0]
    assert face.embedding is None
    assert face.liveness.live is not None and face.liveness.antispoof is not None
    assert 0.5 < face.liveness.live <= 1  # a real photo of a live face
    assert 0 < face.liveness.antispoof < 1
    flat = np.full_like(load(ASTRONAUT), 128)
    scores = analyzer.liveness.score(flat, [face.detection]) if analyzer.liveness else []
    assert scores and scores[0] != face.liveness  # the models look at the pixels


def test_liveness_can_be_switched_off() -> None:
    quiet = FaceAnalyzer(VisionSettings(liveness={"enabled": False}))
    assert quiet.analyze(load(ASTRONAUT))[0].liveness == Liveness()


def test_detection_evaluation_counts_found_missed_and_false(analyzer: FaceAnalyzer, tmp_path: Path) -> None:
    shutil.copy(ASTRONAUT, tmp_path / "astronaut.jpg")
    (tmp_path / "annotations.tsv").write_text(
        "image\tx\ty\tw\th\n"
        "astronaut.jpg\t178\t75\t95\t95\n"  # her face, boxed by hand
        "astronaut.jpg\t400\t400\t50\t50\n"  # no face there: a miss
        "astronaut.jpg\t10\t10\t20\t20\n"  # below min_width: not counted
    )
    report = evaluate_detection(analyzer.detect, tmp_path / "annotations.tsv", negatives=[NO_FACE])
    assert (report.boxed, report.found, report.false_detections) == (2, 1, 0)
    assert report.recall == 0.5 and report.negatives_with_faces == 0
    assert report.per_image["astronaut.jpg"] == {"boxed": 2, "found": 1, "false": 0}

    (tmp_path / "annotations.tsv").write_text("image\tx\ty\tw\th\nastronaut.jpg\t400\t400\t50\t50\n")
    report = evaluate_detection(analyzer.detect, tmp_path / "annotations.tsv")
    assert report.false_detections == 1 and report.found == 0


def test_time_per_call_reports_milliseconds() -> None:
    timing = time_per_call(lambda: sum(range(1000)), repeat=5, warmup=1)
    assert 0 < timing["median_ms"] <= timing["p90_ms"] < 100
