"""Train the texture PAD classifier on simulated tracks and export it as ONNX.

    .venv/bin/pip install -e '.[train]'      # scikit-learn + skl2onnx, for training only
    .venv/bin/python models/pad-texture/train.py --train /tmp/pad-data/train \
        --calibration /tmp/pad-data/calibration --out models/pad-texture

Per-frame features (edge/vision/pad/features.py) of every usable frame of the training tracks
(bona fide = 0, print/replay = 1) -> StandardScaler + logistic regression, its regularization
chosen by 5-fold cross-validation grouped by person. The default threshold is set on the
calibration tracks (other people again) so that BPCER is about 5% with the track fusion of the
method (mean logit over the track's frames), and stored in the ONNX metadata. Writes
``pad-texture.onnx`` and ``training.json`` (counts, chosen settings, calibration figures).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import onnx.utils
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from tracks import Track, read_tracks

from edge.vision.image_io import read_image
from edge.vision.pad.features import FEATURE_DIM, frame_features
from edge.vision.types import Box

BPCER_TARGET = 0.05
MODELS = Path(__file__).resolve().parents[1]
FIXTURES = MODELS.parent / "tests" / "fixtures" / "pad-texture"
PARITY_HEAD = 24  # feature values stored per parity frame
C_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)


def person_of(track: Track) -> str:
    return track.name.split("/", 1)[1].removeprefix(f"{track.kind}__").rsplit("__", 1)[0]


def frame_table(tracks: list[Track]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels, person ids and track index of every usable frame."""
    rows, labels, people, owners = [], [], [], []
    for index, track in enumerate(tracks):
        features = track.features()
        rows.append(features.reshape(-1, FEATURE_DIM))
        labels += [int(track.is_attack)] * len(features)
        people += [person_of(track)] * len(features)
        owners += [index] * len(features)
        if index % 100 == 0:
            print(f"features: {index}/{len(tracks)} tracks", file=sys.stderr, flush=True)
    return np.concatenate(rows), np.array(labels), np.array(people), np.array(owners)


def fused(probabilities: np.ndarray, owners: np.ndarray) -> dict[int, float]:
    """Track score as the method computes it: sigmoid of the mean frame logit."""
    p = np.clip(probabilities, 1e-6, 1 - 1e-6)
    logits = np.log(p / (1 - p))
    return {int(t): float(1 / (1 + np.exp(-logits[owners == t].mean()))) for t in np.unique(owners)}


def record_in_manifest(path: Path) -> None:
    """Set the sha256 and size of the new file in models/manifest.json's ``pad-texture`` entry
    (written by hand once: provenance, I/O, licence), when ``path`` is the shipped file."""
    if path.resolve() != (MODELS / "pad-texture" / "pad-texture.onnx").resolve():
        return
    manifest = json.loads((MODELS / "manifest.json").read_text())
    entry = manifest["models"]["pad-texture"]
    entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    entry["size_bytes"] = path.stat().st_size
    (MODELS / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def write_parity_reference(model: Pipeline, fixtures: Path) -> None:
    """The scikit-learn model's attack probability and the features' first values on each parity
    fixture frame: what the ONNX model and the feature code must keep giving."""
    boxes = json.loads((fixtures / "faces.json").read_text())
    reference = {}
    for name, box in sorted(boxes.items()):
        features = frame_features(read_image(fixtures / name, max_pixels=10_000_000), Box(*box))
        assert features is not None, name
        reference[name] = {"attack": float(model.predict_proba(features[None])[0, 1]),
                           "features_head": [float(v) for v in features[:PARITY_HEAD]],
                           "features_sum": float(features.astype(np.float64).sum())}
    (fixtures / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")


def classifier(c: float) -> Pipeline:
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000, class_weight="balanced"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--calibration", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="folder for pad-texture.onnx, training.json")
    parser.add_argument("--fixtures", type=Path, default=FIXTURES, help="parity fixtures (make_fixtures.py)")
    args = parser.parse_args(argv)

    train_tracks = read_tracks(args.train)
    x, y, people, _ = frame_table(train_tracks)
    folds = GroupKFold(n_splits=5)
    auc_by_c = {}
    for c in C_GRID:
        scores = np.zeros(len(y))
        for fit, held in folds.split(x, y, people):
            scores[held] = classifier(c).fit(x[fit], y[fit]).predict_proba(x[held])[:, 1]
        auc_by_c[c] = float(roc_auc_score(y, scores))
        print(f"C={c}: cross-validated frame AUC {auc_by_c[c]:.4f}", file=sys.stderr, flush=True)
    best_c = max(auc_by_c, key=lambda c: auc_by_c[c])
    model = classifier(best_c).fit(x, y)

    calibration_tracks = read_tracks(args.calibration)
    cx, cy, _, owners = frame_table(calibration_tracks)
    track_scores = fused(model.predict_proba(cx)[:, 1], owners)
    bona = np.array([s for t, s in track_scores.items() if not calibration_tracks[t].is_attack])
    attacks = np.array([s for t, s in track_scores.items() if calibration_tracks[t].is_attack])
    threshold = float(np.quantile(bona, 1 - BPCER_TARGET, method="higher"))  # attack when >= threshold
    threshold = float(np.nextafter(threshold, 1.0))  # the quantile itself stays bona fide

    converted = convert_sklearn(model, initial_types=[("features", FloatTensorType([None, FEATURE_DIM]))],
                                options={id(model): {"zipmap": False}}, target_opset={"": 13, "ai.onnx.ml": 1})
    # keep only the float probabilities (drop the int64 label output and its ArgMax)
    onnx_model = onnx.utils.Extractor(converted).extract_model(["features"], ["probabilities"])
    onnx_model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    onnx_model.graph.output[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    onnx_model.producer_name, onnx_model.producer_version = converted.producer_name, converted.producer_version
    onnx_model.opset_import.extend(o for o in converted.opset_import
                                   if o.domain not in {i.domain for i in onnx_model.opset_import})
    onnx_model.doc_string = "edge texture PAD: attack probability of one frame from its texture features"
    onnx.helper.set_model_props(onnx_model, {
        "threshold": repr(threshold), "feature_dim": str(FEATURE_DIM),
        "training": "simulated print and replay attacks of shared research-use photos; see README.md",
    })
    args.out.mkdir(parents=True, exist_ok=True)
    onnx.save(onnx_model, args.out / "pad-texture.onnx")
    record_in_manifest(args.out / "pad-texture.onnx")
    report = {
        "classifier": f"StandardScaler + LogisticRegression(C={best_c}, class_weight=balanced)",
        "cross_validated_frame_auc": auc_by_c,
        "train": {"tracks": len(train_tracks), "frames": len(y), "attack_frames": int(y.sum()),
                  "people": len(set(people))},
        "calibration": {"bona_fide_tracks": len(bona), "attack_tracks": len(attacks),
                        "threshold": threshold, "bpcer": float((bona >= threshold).mean()),
                        "apcer": float((attacks < threshold).mean())},
    }
    (args.out / "training.json").write_text(json.dumps(report, indent=2) + "\n")
    write_parity_reference(model, args.fixtures)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
