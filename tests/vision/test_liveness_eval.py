"""Liveness signals per face, the detection evaluation of `edge eval detect`, the benchmarks' timer."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from edge.eval.bench.timing import time_per_call
from edge.eval.detection import detection_by_size, faces_on_negatives
from edge.vision.config import VisionSettings
from edge.vision.paths import DEFAULT_MODELS_DIR
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Liveness
from tests.vision.conftest import ASTRONAUT, NO_FACE, load


def test_liveness_signals_are_scores_per_face_when_enabled() -> None:
    analyzer = FaceAnalyzer(VisionSettings(liveness={"enabled": True}))
    face = analyzer.analyze(load(ASTRONAUT), describe=False)[0]
    assert face.embedding is None
    assert face.liveness.live is not None and face.liveness.antispoof is not None
    assert 0.5 < face.liveness.live <= 1  # a real photo of a live face
    assert 0 < face.liveness.antispoof < 1
    flat = np.full_like(load(ASTRONAUT), 128)
    scores = analyzer.liveness.score(flat, [face.detection]) if analyzer.liveness else []
    assert scores and scores[0] != face.liveness  # the models look at the pixels


def test_liveness_is_off_by_default_and_its_models_are_not_loaded(tmp_path: Path) -> None:
    """A models folder without the two retired models: the default analyzer does not miss them."""
    for entry in DEFAULT_MODELS_DIR.iterdir():
        if entry.name not in ("liveness", "antispoof"):
            (tmp_path / entry.name).symlink_to(entry)
    quiet = FaceAnalyzer(VisionSettings(models_dir=tmp_path))
    assert quiet.liveness is None
    assert quiet.analyze(load(ASTRONAUT))[0].liveness == Liveness()


def test_detection_evaluation_counts_found_missed_and_false(analyzer: FaceAnalyzer, tmp_path: Path) -> None:
    """The real detector on a hand-boxed photo, and on one that holds no face."""
    shutil.copy(ASTRONAUT, tmp_path / "astronaut.jpg")
    (tmp_path / "annotations.tsv").write_text(
        "image\tx\ty\tw\th\n"
        "astronaut.jpg\t178\t75\t95\t95\n"  # her face, boxed by hand
        "astronaut.jpg\t400\t400\t50\t50\n"  # no face there: a miss
    )
    found = detection_by_size(analyzer.detect, tmp_path / "annotations.tsv")["0.4"]
    assert found["all"] == {"faces": 2, "recall": 0.5, "detections": 1, "precision": 1.0}
    assert found["64-128"]["recall"] == 1.0 and found["32-64"]["recall"] == 0.0
    assert faces_on_negatives(analyzer.detect, [NO_FACE]) == {NO_FACE.name: 0}

    (tmp_path / "annotations.tsv").write_text("image\tx\ty\tw\th\nastronaut.jpg\t400\t400\t50\t50\n")
    missed = detection_by_size(analyzer.detect, tmp_path / "annotations.tsv")["0.4"]["all"]
    assert missed == {"faces": 1, "recall": 0.0, "detections": 1, "precision": 0.0}  # her face: false


def test_time_per_call_reports_milliseconds() -> None:
    timing = time_per_call(lambda: sum(range(1000)), repeat=5, warmup=1)
    assert 0 < timing["median_ms"] <= timing["p90_ms"] < 100
