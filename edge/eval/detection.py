"""Detection quality on boxed photos, and the speed of one face through the vision core.

``annotations.tsv`` (tab-separated, header ``image x y w h ...``, paths relative to the file)
lists the true faces. A true face is found when a detection overlaps it at IoU >= ``min_iou``;
recall counts the true faces at least ``min_width`` pixels wide; a false detection overlaps no
true face at all (note: small background faces are often not boxed, so some "false" detections
are real faces).
"""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from edge.vision.image_io import read_image
from edge.vision.types import Box, Detection

Detect = Callable[[np.ndarray], list[Detection]]


@dataclass
class DetectionReport:
    boxed: int = 0  # true faces at least min_width wide
    found: int = 0  # ... of them matched by a detection
    false_detections: int = 0
    negatives_with_faces: int = 0  # detections on images that hold no face
    per_image: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def recall(self) -> float:
        return self.found / self.boxed if self.boxed else 0.0


def read_annotations(path: Path) -> dict[Path, list[Box]]:
    boxes: dict[Path, list[Box]] = defaultdict(list)
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            boxes[path.parent / row["image"]].append(
                Box(float(row["x"]), float(row["y"]), float(row["w"]), float(row["h"]))
            )
    return dict(boxes)


def evaluate_detection(
    detect: Detect,
    annotations: Path,
    *,
    negatives: Iterable[Path] = (),
    min_width: float = 32,
    min_iou: float = 0.4,
    max_pixels: int = 40_000_000,
) -> DetectionReport:
    """Recall of the boxed faces and false detections of ``detect`` (e.g. FaceAnalyzer.detect)."""
    report = DetectionReport()
    for image_path, truths in sorted(read_annotations(annotations).items()):
        detections = detect(read_image(image_path, max_pixels=max_pixels))
        overlaps = np.array([[d.box.iou(t) for t in truths] for d in detections]).reshape(len(detections), -1)
        counted = [t.w >= min_width for t in truths]
        found = sum(1 for k, c in enumerate(counted) if c and (overlaps[:, k] >= min_iou).any())
        false = int((overlaps.max(axis=1, initial=0) < min_iou).sum()) if len(detections) else 0
        report.boxed += sum(counted)
        report.found += found
        report.false_detections += false
        report.per_image[image_path.name] = {"boxed": sum(counted), "found": found, "false": false}
    for image_path in negatives:
        count = len(detect(read_image(image_path, max_pixels=max_pixels)))
        report.negatives_with_faces += count
        report.per_image[image_path.name] = {"boxed": 0, "found": 0, "false": count}
    return report


def time_per_call(call: Callable[[], object], *, repeat: int = 50, warmup: int = 5) -> dict[str, float]:
    """Median and 90th-percentile milliseconds of ``call`` (after a warm-up)."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": float(np.median(times)), "p90_ms": float(np.percentile(times, 90))}
