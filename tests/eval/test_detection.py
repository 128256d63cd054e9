"""Detection recall and precision by face size, with a detector whose answers are known."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.errors import BadInput
from edge.eval.detection import detection_by_size
from edge.vision.types import Box, Detection


def _detection(x: float, y: float, w: float, h: float) -> Detection:
    return Detection(Box(x, y, w, h), 0.9, np.zeros((6, 2), np.float32))


def test_recall_and_precision_by_width_and_iou(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((200, 300, 3), np.uint8))
    (tmp_path / "boxes.tsv").write_text(
        "image\tx\ty\tw\th\n"
        "a.png\t10\t10\t20\t20\n"  # small face, missed
        "a.png\t100\t100\t40\t40\n"  # found exactly
        "a.png\t200\t50\t80\t80\n"  # found shifted by 30 px: IoU 50*80 / (2*6400 - 50*80) = 0.45
    )
    answers = [_detection(100, 100, 40, 40), _detection(230, 50, 80, 80), _detection(0, 150, 50, 40)]
    report = detection_by_size(lambda image: answers, tmp_path / "boxes.tsv")
    strict, loose = report["0.5"], report["0.4"]
    assert strict["all"] == {"faces": 3, "recall": pytest.approx(1 / 3), "detections": 3,
                             "precision": pytest.approx(1 / 3)}
    assert loose["all"]["recall"] == pytest.approx(2 / 3)
    assert loose["all"]["precision"] == pytest.approx(2 / 3)
    assert loose["<32"] == {"faces": 1, "recall": 0.0, "detections": 0, "precision": None}
    assert loose["32-64"] == {"faces": 1, "recall": 1.0, "detections": 2, "precision": 0.5}
    assert loose["64-128"]["recall"] == 1.0 and strict["64-128"]["recall"] == 0.0
    assert list(loose) == ["all", "<32", "32-64", "64-128"]


def test_malformed_annotations_are_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "boxes.tsv").write_text("image\tx\ty\tw\th\na.png\t1\ttwo\t3\t4\n")
    with pytest.raises(BadInput, match="boxes.tsv:2"):
        detection_by_size(lambda image: [], tmp_path / "boxes.tsv")
