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

from edge.errors import BadInput
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


def read_annotations(path: Path, root: Path | None = None) -> dict[Path, list[Box]]:
    """True boxes per image; image paths are relative to ``root`` (default: the file's folder)."""
    boxes: dict[Path, list[Box]] = defaultdict(list)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle, delimiter="\t"), start=2):
                try:
                    box = Box(float(row["x"]), float(row["y"]), float(row["w"]), float(row["h"]))
                    boxes[(root or path.parent) / row["image"]].append(box)
                except (KeyError, TypeError, ValueError) as exc:
                    raise BadInput(f"{path}:{line}: needs tab-separated image, x, y, w, h "
                                   "(a header line names them)") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot read the annotations: {exc}") from exc
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


# face-size buckets by box width in pixels: (label, lower bound inclusive, upper bound exclusive)
SIZE_BUCKETS = (
    ("<32", 0.0, 32.0), ("32-64", 32.0, 64.0), ("64-128", 64.0, 128.0), (">=128", 128.0, float("inf"))
)

_ORDER = ["all", *(label for label, _, _ in SIZE_BUCKETS)]


def _in_order(item: tuple[str, object]) -> int:
    return _ORDER.index(item[0])


def _bucket(width: float) -> str:
    return next(label for label, low, high in SIZE_BUCKETS if low <= width < high)


def detection_by_size(
    detect: Detect, annotations: Path, *, root: Path | None = None, ious: tuple[float, ...] = (0.5, 0.4),
    max_pixels: int = 40_000_000,
) -> dict[str, dict[str, dict[str, float | None]]]:
    """Recall and precision at each IoU, overall and by face-size bucket (box width).

    Each true face is matched by at most one detection (greedy, best IoU first). Recall in a
    bucket counts the true faces of that width; precision counts the detections of that width.
    ``{"0.5": {"all": {"recall", "precision", "faces", "detections"}, "<32": {...}, ...}, ...}``
    """
    truths_by_image = read_annotations(annotations, root)
    detections_by_image = {path: detect(read_image(path, max_pixels=max_pixels))
                           for path in sorted(truths_by_image)}
    result: dict[str, dict[str, dict[str, float | None]]] = {}
    for iou in ious:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # faces, found, detections, correct
        for path, truths in truths_by_image.items():
            detections = detections_by_image[path]
            overlaps = np.array([[d.box.iou(t) for t in truths] for d in detections])
            overlaps = overlaps.reshape(len(detections), -1)
            matched_truth, matched_detection = set(), set()
            for d, t in sorted(np.argwhere(overlaps >= iou).tolist(), key=lambda dt: -overlaps[dt[0], dt[1]]):
                if d not in matched_detection and t not in matched_truth:
                    matched_detection.add(d)
                    matched_truth.add(t)
            for k, truth in enumerate(truths):
                for key in ("all", _bucket(truth.w)):
                    counts[key][0] += 1
                    counts[key][1] += k in matched_truth
            for k, detection in enumerate(detections):
                for key in ("all", _bucket(detection.box.w)):
                    counts[key][2] += 1
                    counts[key][3] += k in matched_detection
        result[str(iou)] = {
            key: {"faces": faces, "recall": found / faces if faces else None,
                  "detections": dets, "precision": correct / dets if dets else None}
            for key, (faces, found, dets, correct) in sorted(counts.items(), key=_in_order)
        }
    return result


def format_detection(report: dict[str, dict[str, dict[str, float | None]]]) -> str:
    def rate(value: float | None) -> str:
        return "   -  " if value is None else f"{value:6.3f}"

    lines = []
    for iou, buckets in report.items():
        lines.append(f"IoU >= {iou}:  width      faces  recall  detections  precision")
        lines += [f"              {key:<8} {b['faces']:7d}  {rate(b['recall'])}  {b['detections']:10d}  "
                  f"{rate(b['precision'])}" for key, b in buckets.items()]
    return "\n".join(lines)


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
