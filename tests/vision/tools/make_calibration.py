"""Dev tool (not a test): write models/face-api-descriptor/calibration.json from LFW View 1.

Scores pairsDevTrain.txt with the vision core at its default settings and writes the table of
:func:`edge.identify.local.calibration.calibration_table`; also prints the best accuracy and the
true-accept rates on pairsDevTest.txt at the table's thresholds (held out: not used to build it).
The later ``edge calibrate`` command does the same from the CLI.

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
    genuine, impostor, missed = score_pairs(analyzer, read_lfw_pairs(lfw / "pairsDevTrain.txt"))
    table = calibration_table(genuine, impostor)
    document = {
        "descriptor": DESCRIPTOR,
        "scale": "cosine",
        "dataset": f"LFW View 1 pairsDevTrain.txt ({len(genuine)} genuine and {len(impostor)} impostor pairs "
        f"scored; {missed} pairs without a detected face left out)",
        "flip_test": settings.flip_test,
        "detector": settings.detector,
        "score_threshold": settings.score_threshold,
        **table,
    }
    path = out or default_calibration_path(settings.models_dir)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}; best accuracy on pairsDevTrain {best_accuracy(genuine, impostor):.4f}")
    test_genuine, test_impostor, test_missed = score_pairs(analyzer, read_lfw_pairs(lfw / "pairsDevTest.txt"))
    accuracy = best_accuracy(test_genuine, test_impostor)
    print(f"pairsDevTest: best accuracy {accuracy:.4f}, {test_missed} pairs missed")
    for row in table["rows"]:
        t = row["threshold"]
        print(f"  threshold {t:.4f} (train far {row['far']:.2e}, tar {row['tar']:.3f}): test far "
              f"{(test_impostor >= t).mean():.2e}, tar {(test_genuine >= t).mean():.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
