"""The peer side by side: `face_recognition` (dlib) against the edge pipeline, in the same run.

`face_recognition` (HOG detector, 5-point landmarks, dlib's ResNet descriptor) is the usual
choice for Raspberry-Pi face doors. It is an optional dependency group, never a runtime one::

    pip install dlib-bin face-recognition-models pillow
    pip install --no-deps face-recognition   # it declares `dlib`, which pip would compile

    python peer/face_recognition_peer.py pairs --pairs LFW/pairsDevTest.txt --images LFW [--json]
        [--calibrate-on LFW/pairsDevTrain.txt]
    python peer/face_recognition_peer.py bench [--json]

``pairs`` scores the same pair list with both and prints both reports (same metrics, same
folds, or with ``--calibrate-on`` one split at each one's threshold calibrated on another list;
an image where a detector finds no face is described at the set's mean face position by both).
``bench`` times one face in the same 640x480 frame, detect + landmarks/align + describe, both
pinned to one core in this process, and prints the ratio. The peer's similarity is minus dlib's
Euclidean distance (higher = more alike), as the metrics expect.
"""

from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from edge.config.settings import Settings
from edge.eval.bench.device import bench_frame
from edge.eval.calibrate import all_pair_scores
from edge.eval.bench.timing import time_per_call
from edge.eval.embeddings import embed_set
from edge.eval.metrics import best_threshold
from edge.eval.pairs import Pair, read_pairs
from edge.eval.verify import PairScores, format_report, verification_report
from edge.vision.pipeline import FaceAnalyzer


def _peer_detect(path: Path) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The peer's face nearest the image centre (its box relative to the image size) and its
    128-D descriptor, or (None, None)."""
    import face_recognition

    image = face_recognition.load_image_file(str(path))
    locations = face_recognition.face_locations(image)
    if not locations:
        return None, None
    cy, cx = image.shape[0] / 2, image.shape[1] / 2
    nearest = min(locations, key=lambda b: ((b[0] + b[2]) / 2 - cy) ** 2 + ((b[1] + b[3]) / 2 - cx) ** 2)
    relative = np.array(nearest, np.float64) / np.tile(image.shape[:2], 2)
    return relative, face_recognition.face_encodings(image, [nearest])[0]


def _peer_at(path: Path, relative: np.ndarray) -> np.ndarray:
    import face_recognition

    image = face_recognition.load_image_file(str(path))
    h, w = image.shape[:2]
    top, right, bottom, left = (int(v) for v in (relative * [h, w, h, w]).round())
    return face_recognition.face_encodings(image, [(top, right, bottom, left)])[0]


def peer_embeddings(paths: list[Path], workers: int) -> tuple[dict[Path, np.ndarray], set[Path]]:
    """Descriptors of every image; no-face images at the mean relative box of the others."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        found = dict(zip(paths, pool.map(_peer_detect, paths, chunksize=8)))
    missing = {p for p, (box, _) in found.items() if box is None}
    mean_box = np.mean([box for box, _ in found.values() if box is not None], axis=0)
    vectors = {p: v for p, (_, v) in found.items() if v is not None}
    vectors.update({p: _peer_at(p, mean_box) for p in missing})
    return vectors, missing


def _similarities(kind: str, vectors: dict[Path, np.ndarray], paths: list[Path]) -> np.ndarray:
    """(n, n) similarity matrix: edge's cosine, or the peer's minus Euclidean distance."""
    matrix = np.stack([vectors[p] for p in paths])
    gram = matrix @ matrix.T
    if kind == "edge":
        return gram
    squared = (matrix**2).sum(axis=1)
    return -np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2 * gram, 0))


def _described(kind: str, paths: list[Path], workers: int) -> tuple[dict[Path, np.ndarray], set[Path]]:
    if kind == "edge":
        found = embed_set(FaceAnalyzer(Settings().vision), paths)
        return found.vectors, set(found.no_face)
    return peer_embeddings(paths, workers)


def _images(listed: list[Pair]) -> list[Path]:
    return list(dict.fromkeys(p for pair in listed for p in (pair.a, pair.b)))


def accuracy_cut(kind: str, calibration_pairs: Path, images: Path, workers: int) -> float:
    """The best balanced-accuracy threshold over every image pair of a list's images with a
    detected face, as `edge calibrate` computes it for edge."""
    paths = _images(read_pairs(calibration_pairs, images))
    vectors, missing = _described(kind, paths, workers)
    faces = [p for p in paths if p not in missing]
    genuine, impostor = all_pair_scores(_similarities(kind, vectors, faces), [p.parent.name for p in faces])
    return best_threshold(genuine, impostor)


def compare_pairs(pairs_file: Path, images: Path, folds: int, workers: int, all_impostors: bool,
                  calibrate_on: Path | None) -> dict[str, Any]:
    """Both pipelines on the same list: k-fold, or (``calibrate_on``) one split at each one's
    threshold calibrated on another list's images."""
    listed = read_pairs(pairs_file, images)
    paths = _images(listed)
    result: dict[str, Any] = {"pairs": str(pairs_file)}
    if calibrate_on is not None:
        result["calibrated_on"] = str(calibrate_on)
    for kind in ("edge", "face_recognition"):
        vectors, missing = _described(kind, paths, workers)
        similarity = _similarities(kind, vectors, paths)
        index = {path: k for k, path in enumerate(paths)}
        scores = PairScores(np.array([similarity[index[p.a], index[p.b]] for p in listed]),
                            np.array([p.same for p in listed]))
        pool = all_pair_scores(similarity, [p.parent.name for p in paths])[1] if all_impostors else None
        threshold = None if calibrate_on is None else accuracy_cut(kind, calibrate_on, images, workers)
        result[kind] = verification_report(scores, folds=1 if calibrate_on else folds, threshold=threshold,
                                           n_no_face=len(missing), impostor_pool=pool)
    return result


def compare_speed(repeat: int) -> dict[str, Any]:
    """Milliseconds per face (median, one core) of both, on the same 640x480 frame."""
    import face_recognition

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    vision = Settings().vision.model_copy(update={"threads": 1})
    analyzer = FaceAnalyzer(vision)
    frame = bench_frame()
    rgb = np.ascontiguousarray(frame[:, :, ::-1])

    def ours() -> object:
        return analyzer.describe(frame, analyzer.detect(frame)[:1])

    def theirs() -> object:
        return face_recognition.face_encodings(rgb, face_recognition.face_locations(rgb)[:1])

    if not face_recognition.face_locations(rgb):
        raise SystemExit("the peer finds no face in the benchmark frame")
    ours_ms = time_per_call(ours, repeat=repeat)
    peer_ms = time_per_call(theirs, repeat=max(5, repeat // 5))
    return {
        "frame": "640x480, one face (edge/demo/people/eileen-collins/1.jpg)",
        "cpu": "one core (sched_setaffinity), onnxruntime 1 thread",
        "edge_per_face_ms": ours_ms["median_ms"],
        "edge_descriptor": vision.descriptor_model,
        "edge_flip_test": vision.use_flip_test,
        "face_recognition_per_face_ms": peer_ms["median_ms"],
        "ratio": peer_ms["median_ms"] / ours_ms["median_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="face_recognition_peer.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    pairs = sub.add_parser("pairs", help="the same LFW pair list through both")
    pairs.add_argument("--pairs", type=Path, required=True)
    pairs.add_argument("--images", type=Path, required=True)
    pairs.add_argument("--folds", type=int, default=10)
    pairs.add_argument("--calibrate-on", type=Path, default=None,
                       help="a second pair list: each pipeline's best balanced-accuracy threshold over "
                       "every pair of its images, then one split on --pairs (edge: as `edge calibrate`)")
    pairs.add_argument("--all-impostors", action="store_true",
                       help="rates against every different-person pair of the listed images")
    pairs.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    bench = sub.add_parser("bench", help="per-face time of both on one core")
    bench.add_argument("--repeat", type=int, default=50)
    for p in (pairs, bench):
        p.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.mode == "pairs":
        result = compare_pairs(args.pairs, args.images, args.folds, args.workers, args.all_impostors,
                               args.calibrate_on)
        text = "\n\n".join(f"{name}:\n{format_report(result[name])}" for name in ("edge", "face_recognition"))
    else:
        result = compare_speed(args.repeat)
        text = (f"per face ({result['frame']}; {result['cpu']}):\n"
                f"  edge             {result['edge_per_face_ms']:8.1f} ms\n"
                f"  face_recognition {result['face_recognition_per_face_ms']:8.1f} ms\n"
                f"  ratio            {result['ratio']:8.1f}x")
    print(json.dumps(result, indent=2) if args.json else text)


if __name__ == "__main__":
    main()
