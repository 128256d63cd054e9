"""Reading the track folders written by make_tracks.py (shared by train.py and evaluate.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.vision.image_io import read_image
from edge.vision.pad.base import PadFrame
from edge.vision.pad.features import frame_features
from edge.vision.types import Box, Detection

NO_KEYPOINTS = np.zeros((6, 2), np.float32)


@dataclass(frozen=True)
class Track:
    name: str  # "<kind dir>/<track>"
    kind: str  # bona_fide, print, replay
    frames: list[Path]
    boxes: list[Box | None]

    @property
    def is_attack(self) -> bool:
        return self.kind != "bona_fide"

    def pad_frames(self) -> list[PadFrame]:
        """The frames where a face was found, as the PAD stage would hand them to a method."""
        return [PadFrame(float(i), read_image(path, max_pixels=10_000_000), Detection(box, 1.0, NO_KEYPOINTS))
                for i, (path, box) in enumerate(zip(self.frames, self.boxes)) if box is not None]

    def features(self) -> np.ndarray:
        """(N, FEATURE_DIM) features of the usable frames."""
        rows = [frame_features(f.image, f.detection.box) for f in self.pad_frames()]
        kept = [r for r in rows if r is not None]
        return np.stack(kept) if kept else np.zeros((0, 0), np.float32)


def read_tracks(root: Path) -> list[Track]:
    lines = (root / "faces.jsonl").read_text(encoding="utf-8").splitlines()
    faces = {row["frame"]: row["face"] for row in map(json.loads, lines)}
    tracks: list[Track] = []
    for kind_dir in ("bona_fide", "attacks"):
        for folder in sorted(p for p in (root / kind_dir).iterdir() if p.is_dir()):
            kind = "bona_fide" if kind_dir == "bona_fide" else folder.name.split("__", 1)[0]
            frames = sorted(folder.glob("*.jpg"))
            if not all(f"{kind_dir}/{folder.name}/{f.name}" in faces for f in frames):
                continue  # interrupted while writing this track
            boxes = [faces.get(f"{kind_dir}/{folder.name}/{f.name}") for f in frames]
            tracks.append(Track(f"{kind_dir}/{folder.name}", kind, frames,
                                [Box(*b) if b else None for b in boxes]))
    return tracks
