"""Detection quality on boxed photos (``edge eval detect``).

``annotations.tsv`` (tab-separated, header ``image x y w h ...``, paths relative to the file)
lists the true faces. A true face is found when a detection overlaps it at the IoU asked; a
detection that overlaps no true face is false (note: small background faces are often not boxed,
so some "false" detections are real faces). Photos that hold no face ("negatives") count every
detection as false.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from edge.errors import BadInput
from edge.vision.image_io import read_image
from edge.vision.types import Box, Detection

Detect = Callable[[np.ndarray], list[Detection]]


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


def faces_on_negatives(
    detect: Detect, images: Iterable[Path], *, max_pixels: int = 40_000_000
) -> dict[str, int]:
    """Detections on photos that hold no face (each one false), by file name."""
    return {path.name: len(detect(read_image(path, max_pixels=max_pixels))) for path in images}
