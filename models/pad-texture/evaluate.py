"""Measure the texture PAD method: simulated held-out attacks, real bona fide clips, old models.

    .venv/bin/python models/pad-texture/evaluate.py --test /tmp/pad-model-work/data/test \
        --calibration /tmp/pad-model-work/data/calibration \
        --video ../shared/data/video/*.mp4 edge/demo/carphone.mp4 --json models/pad-texture/evaluation.json

* ``--test``: track folders of make_tracks.py (people never used in training or calibration):
  APCER (all attacks, print, replay), BPCER, ACER at the model's default threshold; APCER at
  BPCER 1/5/10%.
* ``--video``: real bona fide clips cut into tracks of 10 consecutive frames, the largest face of
  each frame (frames wider than 640 px are first shrunk to 640 px wide, like a 640x480-class
  webcam): BPCER at the default threshold (tracks with no usable face are counted apart).
* the old single-frame ``liveness`` and ``antispoof`` models on the same simulated tracks (their
  track score = the mean "live" score over the frames, higher = live): APCER at BPCER 5% alone,
  and whether adding them to the texture score (a logistic regression fitted on ``--calibration``)
  lowers the test APCER at BPCER 5%.
* time per frame and per track of the method (CPU time of the calling thread).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from sklearn.linear_model import LogisticRegression
from tracks import NO_KEYPOINTS, Track, read_tracks

from edge.vision.config import VisionSettings
from edge.vision.pad.base import PadFrame
from edge.vision.pad.texture import TextureMethod, TextureSettings
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Detection

TRACK_FRAMES = 10
VIDEO_WIDTH = 640
BPCER_POINTS = (0.01, 0.05, 0.10)


def apcer_at_bpcer(bona: np.ndarray, attacks: np.ndarray, bpcer: float) -> float:
    """APCER at the strictest threshold that rejects at most ``bpcer`` of the bona fide scores."""
    threshold = np.nextafter(np.quantile(bona, 1 - bpcer, method="higher"), np.inf)
    return float((attacks < threshold).mean())


def rates(bona: np.ndarray, attacks: np.ndarray, threshold: float) -> dict[str, float]:
    apcer, bpcer = float((attacks < threshold).mean()), float((bona >= threshold).mean())
    return {"apcer": apcer, "bpcer": bpcer, "acer": (apcer + bpcer) / 2}


def texture_scores(method: TextureMethod, tracks: list[Track]) -> tuple[np.ndarray, list[float]]:
    scores, cpu_ms = [], []
    for track in tracks:
        frames = track.pad_frames()
        start = time.thread_time()
        result = method.score(frames)
        cpu_ms.append((time.thread_time() - start) * 1000 / max(len(frames), 1))
        scores.append(np.nan if result is None else result.attack)
    return np.array(scores), cpu_ms


def old_model_scores(analyzer: FaceAnalyzer, tracks: list[Track]) -> np.ndarray:
    """(tracks, 2) mean liveness 'live' and antispoof 'real' scores over each track's frames."""
    assert analyzer.liveness is not None
    rows = []
    for track in tracks:
        per_frame = [analyzer.liveness.score(f.image, [f.detection])[0] for f in track.pad_frames()]
        rows.append([np.mean([s.live for s in per_frame]), np.mean([s.antispoof for s in per_frame])])
    return np.array(rows, np.float64)


def video_tracks(analyzer: FaceAnalyzer, path: Path) -> list[list[PadFrame]]:
    """Consecutive 10-frame tracks of ``path``, the largest face of each frame (frames without one
    are left out of their track)."""
    capture = cv2.VideoCapture(str(path))
    tracks: list[list[PadFrame]] = []
    index = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if frame.shape[1] > VIDEO_WIDTH:
            frame = cv2.resize(frame, (VIDEO_WIDTH, round(frame.shape[0] * VIDEO_WIDTH / frame.shape[1])),
                               interpolation=cv2.INTER_AREA)
        if index % TRACK_FRAMES == 0:
            tracks.append([])
        faces = analyzer.detect(frame)
        if faces:
            largest = max(faces, key=lambda d: d.box.w)
            tracks[-1].append(PadFrame(index / 25, frame, Detection(largest.box, largest.score, NO_KEYPOINTS)))
        index += 1
    return tracks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument("--calibration", type=Path)
    parser.add_argument("--video", type=Path, nargs="*", default=[])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--models", type=Path, help="models folder (default: the shipped one)")
    args = parser.parse_args(argv)

    where = {"models_dir": args.models} if args.models else {}
    vision = VisionSettings(**where, liveness={"enabled": True})  # the old models are compared here
    method = TextureMethod(TextureSettings(), vision.models_dir)
    analyzer = FaceAnalyzer(vision)
    report: dict[str, object] = {"threshold": method.threshold}

    tracks = read_tracks(args.test)
    scores, cpu_ms = texture_scores(method, tracks)
    kinds = np.array([t.kind for t in tracks])
    decided = ~np.isnan(scores)
    bona, attacks = scores[decided & (kinds == "bona_fide")], scores[decided & (kinds != "bona_fide")]
    simulated: dict[str, object] = {
        "n_bona_fide": int(bona.size), "n_attacks": int(attacks.size), "undecided": int((~decided).sum()),
        **rates(bona, attacks, method.threshold),
        "apcer_at_bpcer": {str(b): apcer_at_bpcer(bona, attacks, b) for b in BPCER_POINTS},
    }
    for kind in ("print", "replay"):
        only = scores[decided & (kinds == kind)]
        simulated[kind] = {"n": int(only.size), "apcer": float((only < method.threshold).mean()),
                           "apcer_at_bpcer": {str(b): apcer_at_bpcer(bona, only, b) for b in BPCER_POINTS}}
    report["simulated_test"] = simulated
    report["cpu_ms_per_frame_median"] = float(np.median(cpu_ms))

    real: dict[str, object] = {}
    for path in args.video:
        clip = video_tracks(analyzer, path)
        usable = [t for t in clip if t]
        results = [method.score(t) for t in usable]
        judged = [r for r in results if r is not None]
        real[path.name] = {"tracks": len(clip), "undecided": len(clip) - len(judged),
                           "rejected": sum(r.is_attack for r in judged),
                           "bpcer": float(np.mean([r.is_attack for r in judged])) if judged else None,
                           "attack_scores": [r.attack for r in judged]}
    report["real_bona_fide"] = real

    old = old_model_scores(analyzer, tracks)
    keep = decided & ~np.isnan(old).any(axis=1)
    is_attack = kinds[keep] != "bona_fide"
    old_report: dict[str, object] = {}
    for column, name in enumerate(("liveness", "antispoof")):
        attack_score = 1 - old[keep, column]  # both say "live/real" high
        old_report[name] = {
            "mean_live_bona_fide": float(old[keep][~is_attack, column].mean()),
            "mean_live_attacks": float(old[keep][is_attack, column].mean()),
            "apcer_at_bpcer_0.05": apcer_at_bpcer(attack_score[~is_attack], attack_score[is_attack], 0.05),
        }
    if args.calibration:
        calibration = read_tracks(args.calibration)
        c_scores, _ = texture_scores(method, calibration)
        c_old = old_model_scores(analyzer, calibration)
        c_keep = ~np.isnan(c_scores) & ~np.isnan(c_old).any(axis=1)
        c_attack = np.array([t.is_attack for t in calibration])[c_keep]

        def stacked(texture: np.ndarray, signals: np.ndarray) -> np.ndarray:
            p = np.clip(texture, 1e-6, 1 - 1e-6)
            return np.column_stack([np.log(p / (1 - p)), signals])

        fusion = LogisticRegression().fit(stacked(c_scores[c_keep], c_old[c_keep]), c_attack)
        fused = fusion.predict_proba(stacked(scores[keep], old[keep]))[:, 1]
        old_report["texture_alone_apcer_at_bpcer_0.05"] = apcer_at_bpcer(
            scores[keep][~is_attack], scores[keep][is_attack], 0.05)
        old_report["texture_plus_old_apcer_at_bpcer_0.05"] = apcer_at_bpcer(
            fused[~is_attack], fused[is_attack], 0.05)
        old_report["fusion_weights"] = dict(zip(["texture_logit", "liveness", "antispoof"],
                                                map(float, fusion.coef_[0])))
    report["old_models"] = old_report

    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
