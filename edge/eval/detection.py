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
from edge.vision.pipeline import FaceAnalyzer
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
    """Milliseconds per call of ``call`` after a warm-up: wall-clock median and 90th percentile,
    and the median CPU time of the calling thread (``cpu_ms``), which other processes competing
    for the cores do not inflate (onnxruntime with one intra-op thread runs in the caller).
    """
    for _ in range(warmup):
        call()
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.thread_time()
        call()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    return {
        "median_ms": float(np.median(wall)),
        "p90_ms": float(np.percentile(wall, 90)),
        "cpu_ms": float(np.median(cpu)),
    }


def bench_one_face(
    analyzer: FaceAnalyzer, frame: np.ndarray, *, repeat: int = 100
) -> dict[str, dict[str, float]]:
    """Milliseconds to detect, to align + describe, and both, for the largest face of ``frame``."""
    detections = analyzer.detect(frame)
    if not detections:
        raise ValueError("no face in the benchmark frame")
    largest = detections[:1]
    return {
        "detect": time_per_call(lambda: analyzer.detect(frame), repeat=repeat),
        "align_describe": time_per_call(lambda: analyzer.describe(frame, largest), repeat=repeat),
        "total": time_per_call(lambda: analyzer.describe(frame, analyzer.detect(frame)[:1]), repeat=repeat),
    }


def _main(argv: list[str] | None = None) -> None:
    """``python -m edge.eval.detection recall ANNOTATIONS [--negative IMG]... [--tile-grid N]``
    or ``... bench IMAGE [--no-flip]``: the figures in docs/vision.md, until ``edge eval``."""
    import argparse
    import json

    import cv2

    from edge.vision.config import VisionSettings

    parser = argparse.ArgumentParser(prog="python -m edge.eval.detection")
    sub = parser.add_subparsers(dest="mode", required=True)
    recall = sub.add_parser("recall")
    recall.add_argument("annotations", type=Path)
    recall.add_argument("--negative", type=Path, action="append", default=[])
    recall.add_argument("--tile-grid", type=int, default=0)
    recall.add_argument("--detector", choices=["full", "short"], default="full")
    bench = sub.add_parser("bench", help="one face in a 640x480 frame made from IMAGE, one thread")
    bench.add_argument("image", type=Path)
    bench.add_argument("--no-flip", action="store_true")
    args = parser.parse_args(argv)
    if args.mode == "recall":
        analyzer = FaceAnalyzer(VisionSettings(tile_grid=args.tile_grid, detector=args.detector))
        report = evaluate_detection(analyzer.detect, args.annotations, negatives=args.negative)
        for name, counts in report.per_image.items():
            print(f"{name}: {counts}")
        print(f"recall {report.found}/{report.boxed} = {report.recall:.3f}; false detections "
              f"{report.false_detections}; faces on negatives {report.negatives_with_faces}")
    else:
        settings = VisionSettings(flip_test=not args.no_flip, threads=1, liveness={"enabled": False})
        image = read_image(args.image, max_pixels=settings.max_image_pixels)
        h, w = image.shape[:2]
        cw, ch = min(w, h * 4 // 3), min(h, w * 3 // 4)  # central 4:3 crop
        crop = image[(h - ch) // 2 : (h - ch) // 2 + ch, (w - cw) // 2 : (w - cw) // 2 + cw]
        frame = cv2.resize(crop, (640, 480), interpolation=cv2.INTER_AREA)
        timings = bench_one_face(FaceAnalyzer(settings), frame)
        print(json.dumps({k: {m: round(v, 2) for m, v in t.items()} for k, t in timings.items()}))


if __name__ == "__main__":
    _main()
