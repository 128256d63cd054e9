"""Write simulated presentation tracks as folders of frames (the layout `edge eval pad` reads).

    .venv/bin/python models/pad-texture/make_tracks.py --faces ../shared/data/faces \
        --split test --count 250 --frames 10 --out /tmp/pad-tracks/test

For each sampled photo of the split (edge/eval/pad_sources.py) it writes one bona fide, one print
and one screen-replay track of ``--frames`` 640x480 JPEG frames (the simulated camera's own JPEGs):

    OUT/bona_fide/<track>/00.jpg ...          OUT/attacks/print__<track>/00.jpg ...
                                              OUT/attacks/replay__<track>/00.jpg ...
    OUT/faces.jsonl  one {"frame": "<kind dir>/<track>/<frame>", "face": [x, y, w, h] or null} a line

``faces.jsonl`` holds the detector's box of the presented face in each frame (the detection that
overlaps the simulated face best, IoU >= 0.3; null when the detector missed it), so training and
evaluation need not detect again. Lines are appended as frames are written, and photos whose
tracks are already there are skipped: an interrupted run resumes. The frames hold images of the shared research-use photos: keep
them out of the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from edge.eval.pad_simulate import KINDS, simulate_tracks
from edge.eval.pad_sources import face_sources, sample_split
from edge.vision.config import VisionSettings
from edge.vision.image_io import is_grey, read_image
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Box

MIN_SOURCE_FACE_PX = 60  # smaller source faces would be blown up into mush
MAX_SOURCE_PIXELS = 40_000_000


def matched_face(analyzer: FaceAnalyzer, frame: np.ndarray, placed: Box) -> Box | None:
    best = max(analyzer.detect(frame), key=lambda d: d.box.iou(placed), default=None)
    return best.box if best is not None and best.box.iou(placed) >= 0.3 else None


def track_dir(kind: str, name: str) -> str:
    return f"bona_fide/{name}" if kind == "bona_fide" else f"attacks/{kind}__{name}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faces", type=Path, required=True, help="the shared faces folder")
    parser.add_argument("--split", required=True, choices=["train", "calibration", "test"])
    parser.add_argument("--count", type=int, required=True, help="photos to use (3 tracks each)")
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    analyzer = FaceAnalyzer(VisionSettings())
    sources = sample_split(face_sources(args.faces), args.split, args.count * 2, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    faces = (args.out / "faces.jsonl").open("a", encoding="utf-8")
    written = 0
    for index, source in enumerate(sources):
        if written == args.count:
            break
        photo = read_image(source.path, max_pixels=MAX_SOURCE_PIXELS)
        found = analyzer.detect(photo)
        face = max(found, key=lambda d: d.box.w, default=None)
        if is_grey(photo) or face is None or face.box.w < MIN_SOURCE_FACE_PX:
            continue
        backdrop = read_image(sources[(index + 1) % len(sources)].path, max_pixels=MAX_SOURCE_PIXELS)
        name = f"{source.person.replace('/', '__')}__{source.path.stem}"
        if (args.out / track_dir(KINDS[-1], name)).is_dir():
            written += 1
            continue
        for track in simulate_tracks(photo, face.box, backdrop, seed=args.seed * 100_003 + index,
                                     kinds=KINDS, frames=args.frames):
            folder = args.out / track_dir(track.kind, name)
            folder.mkdir(parents=True, exist_ok=True)
            for i, (jpeg, frame, placed) in enumerate(zip(track.jpegs, track.frames, track.faces)):
                (folder / f"{i:02d}.jpg").write_bytes(jpeg)
                box = matched_face(analyzer, frame, placed)
                faces.write(json.dumps({"frame": f"{track_dir(track.kind, name)}/{i:02d}.jpg",
                                        "face": box.as_list() if box else None}) + "\n")
            faces.flush()
        written += 1
        print(f"{written}/{args.count} {name}", file=sys.stderr, flush=True)
    faces.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
