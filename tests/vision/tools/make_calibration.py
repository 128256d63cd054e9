"""Dev tool (not a test): write models/face-api-descriptor/calibration.json from LFW View 1.

Embeds every image named in pairsDevTrain.txt with the vision core at its default settings,
scores every same-identity pair (genuine) and every cross-identity pair (impostor: millions of
them, so rates down to 1e-5 are measured rather than extrapolated) and writes the table of
:func:`edge.identify.local.calibration.calibration_table`. Then checks it on the held-out images
of pairsDevTest.txt the same way, and prints the best accuracy on the official pairs of both
files. The later ``edge calibrate`` command does the same from the CLI.

usage: python tests/vision/tools/make_calibration.py /work/shared/data/faces/lfw-view1 [OUT.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from edge.config.settings import Settings
from edge.identify.local.calibration import (
    DESCRIPTOR,
    calibration_table,
    default_calibration_path,
    embed_images,
    identity_pair_scores,
    read_lfw_pairs,
    score_pairs,
)
from edge.vision.pipeline import FaceAnalyzer


def best_accuracy(genuine: np.ndarray, impostor: np.ndarray) -> float:
    cuts = np.concatenate([genuine, impostor])
    return max(float(((genuine >= t).sum() + (impostor < t).sum()) / len(cuts)) for t in cuts)


def main(lfw: Path, out: Path | None) -> None:
    settings = Settings().vision
    analyzer = FaceAnalyzer(settings)
    scored = {}
    for name in ("pairsDevTrain", "pairsDevTest"):
        pairs = read_lfw_pairs(lfw / f"{name}.txt")
        images = sorted({path for a, b, _ in pairs for path in (a, b)})
        embeddings = embed_images(analyzer, images)
        genuine, impostor = identity_pair_scores(embeddings)
        scored[name] = (genuine, impostor)
        official_genuine, official_impostor, missed = score_pairs(analyzer, pairs)
        print(f"{name}: {len(embeddings)} of {len(images)} images with a face; {len(genuine)} genuine and "
              f"{len(impostor)} impostor pairs; official pairs: best accuracy "
              f"{best_accuracy(official_genuine, official_impostor):.4f} ({missed} pairs without a face)")
        if name == "pairsDevTrain":
            table = calibration_table(genuine, impostor)
            document = {
                "descriptor": DESCRIPTOR,
                "scale": "cosine",
                "dataset": f"LFW View 1, the {len(embeddings)} images of pairsDevTrain.txt with a detected "
                "face: every same-identity pair as genuine, every cross-identity pair as impostor",
                "flip_test": settings.flip_test,
                "detector": settings.detector,
                "score_threshold": settings.score_threshold,
                **table,
            }
            path = out or default_calibration_path(settings.models_dir)
            path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            print(f"wrote {path}")
    test_genuine, test_impostor = scored["pairsDevTest"]
    for row in table["rows"]:
        t = row["threshold"]
        print(f"  threshold {t:.4f}: train far {row['far']:.2e} tar {row['tar']:.4f} | held-out test far "
              f"{(test_impostor >= t).mean():.2e} tar {(test_genuine >= t).mean():.4f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
