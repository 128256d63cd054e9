"""Write the small parity fixtures of the texture PAD model into tests/fixtures/pad-texture/.

    .venv/bin/python models/pad-texture/make_fixtures.py

From the photos already allowed in tests/fixtures/faces (public-domain / US-government portraits)
it simulates one frame of each presentation kind, keeps only the part the features look at (the
context square around the face, plus a margin) and writes it as JPEG with the detector's face box
in ``faces.json``. train.py then stores the reference scores of the trained model for these frames
(``reference.json``), which tests/pad_texture/test_parity.py checks against the ONNX model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

from edge.eval.pad_simulate import KINDS, simulate_tracks
from edge.vision.config import VisionSettings
from edge.vision.image_io import read_image
from edge.vision.pipeline import FaceAnalyzer

ROOT = Path(__file__).resolve().parents[2]
FACES = ROOT / "tests" / "fixtures" / "faces"
OUT = ROOT / "tests" / "fixtures" / "pad-texture"
PHOTOS = {"obama": "Barack_Obama/1.jpg", "biden": "Joe_Biden/1.jpg", "collins": "Eileen_Collins/1.jpg"}
SEED = 16


def main() -> int:
    analyzer = FaceAnalyzer(VisionSettings())
    OUT.mkdir(parents=True, exist_ok=True)
    boxes: dict[str, list[float]] = {}
    names = list(PHOTOS)
    for index, name in enumerate(names):
        photo = read_image(FACES / PHOTOS[name], max_pixels=10_000_000)
        backdrop = read_image(FACES / PHOTOS[names[(index + 1) % len(names)]], max_pixels=10_000_000)
        face = max(analyzer.detect(photo), key=lambda d: d.box.w).box
        for track in simulate_tracks(photo, face, backdrop, seed=SEED + index, kinds=KINDS, frames=1):
            frame = track.frames[0]
            box = max(analyzer.detect(frame), key=lambda d: d.box.iou(track.faces[0])).box
            half = int(max(box.w, box.h) * 1.3)
            cx, cy = int(box.x + box.w / 2), int(box.y + box.h / 2)
            x0, y0 = max(cx - half, 0), max(cy - half, 0)
            crop = np.ascontiguousarray(frame[y0 : cy + half, x0 : cx + half])
            file = f"{track.kind}_{name}.jpg"
            cv2.imwrite(str(OUT / file), crop, [cv2.IMWRITE_JPEG_QUALITY, 92])
            boxes[file] = [round(box.x - x0, 2), round(box.y - y0, 2), round(box.w, 2), round(box.h, 2)]
    (OUT / "faces.json").write_text(json.dumps(boxes, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
