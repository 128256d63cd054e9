"""Simulated print attacks and bona fide tracks for PAD (no real attack footage may be shipped).

``print_attack_clip`` turns a face photo into a track of a printed photo held by hand in front of
a door camera: print-like colour (gamut and dynamic-range compression, a little blur), a white
paper border, the sheet moving as one plane (translation, rotation, perspective tilt) over a
static textured background, sensor noise. ``cut_clip`` splits a real video into tracks.

Writes ``edge eval pad`` folders (one sub-folder per track, frames in name order), and the loop
test's committed clip (``tests/fixtures/pad/print-attack-obama.mp4``)::

    python -m tests.support.print_attack attacks --photos DIR --out DIR [--tracks N]
    python -m tests.support.print_attack attacks --faces ../shared/data/faces --split test --out DIR
    python -m tests.support.print_attack attacks --photos ../shared/data/faces/att --split test --out DIR
    python -m tests.support.print_attack bona-fide --video FILE --out DIR [--frames 10]
    python -m tests.support.print_attack fixture
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from edge.eval.bench.device import sampled_frames
from edge.eval.pad_sources import SPLITS, face_sources, sample_split, split_of
from edge.vision.image_io import is_grey, read_image

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE_PHOTO = FIXTURES / "faces" / "Barack_Obama" / "3.jpg"  # enrolled in the loop tests from 1, 2
FIXTURE_CLIP = FIXTURES / "pad" / "print-attack-obama.mp4"
FIXTURE_FPS = 10


def room_background(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A static textured BGR scene (w, h): blurred blocks of wall, door and furniture, and grain."""
    width, height = size
    scene = np.full((height, width, 3), rng.integers(70, 160, 3), np.uint8)
    for _ in range(25):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(width // 20, width // 3)), int(rng.integers(height // 20, height // 3))
        cv2.rectangle(scene, (x, y), (x + w, y + h), rng.integers(30, 220, 3).tolist(), -1)
    scene = cv2.GaussianBlur(scene, (0, 0), 1.5)
    grain = rng.normal(0, 6, scene.shape)
    return np.clip(scene + grain, 0, 255).astype(np.uint8)


def printed(photo: np.ndarray, border: float = 0.12) -> np.ndarray:
    """The photo as a print: compressed range and gamut, slight blur, a white paper border."""
    ink = photo.astype(np.float32)
    grey = ink.mean(axis=2, keepdims=True)
    ink = 0.8 * ink + 0.2 * grey  # gamut: less saturated
    ink = 25 + ink * 0.78  # dynamic range: paper white and ink black
    ink = cv2.GaussianBlur(ink, (0, 0), 0.8)
    pad = round(border * max(photo.shape[:2]))
    sheet = cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(235, 238, 240))
    return np.clip(sheet, 0, 255).astype(np.uint8)


def print_attack_clip(photo: np.ndarray, *, frames: int = 24, size: tuple[int, int] = (320, 240),
                      seed: int = 0, fps: float = 10.0, still: bool = False) -> list[np.ndarray]:
    """BGR frames (h, w, 3) of the printed ``photo`` held up and moved by hand (a slow sway of
    0.2-0.5 Hz, a few degrees of rotation and tilt, and a pixel of tremor), at ``fps``; ``still``:
    propped up on a stand instead (the same pose in every frame, only sensor noise changes)."""
    rng = np.random.default_rng(seed)
    width, height = size
    background = room_background(size, rng)
    sheet = printed(photo)
    sh, sw = sheet.shape[:2]
    corners = np.float32([[0, 0], [sw, 0], [sw, sh], [0, sh]])
    sheet_h = min(height * rng.uniform(0.7, 0.9), width * 0.8 * sh / sw)  # held near the camera
    sheet_w = sheet_h * sw / sh
    phase = rng.uniform(0, 2 * np.pi, 4)
    sway = rng.uniform(0.2, 0.5) * 2 * np.pi  # radians per second
    out = []
    for k in range(frames):
        t = 0.0 if still else k / fps * sway
        tremor = np.zeros(2) if still else rng.normal(0, 0.7, 2)
        cx = width / 2 + width * 0.06 * np.sin(t + phase[0]) + tremor[0]
        cy = height / 2 + height * 0.04 * np.sin(1.3 * t + phase[1]) + tremor[1]
        angle = np.deg2rad(6 * np.sin(0.9 * t + phase[2]))
        tilt = 0.08 * np.sin(1.1 * t + phase[3])  # one side of the sheet nearer the camera
        half = np.float32([[-sheet_w / 2, -sheet_h / 2], [sheet_w / 2, -sheet_h / 2],
                           [sheet_w / 2, sheet_h / 2], [-sheet_w / 2, sheet_h / 2]])
        half[:, 1] *= 1 + tilt * np.sign(half[:, 0])
        rotation = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        target = half @ rotation.T + np.float32([cx, cy])
        warp = cv2.getPerspectiveTransform(corners, target.astype(np.float32))
        frame = background.copy()
        cv2.warpPerspective(sheet, warp, size, dst=frame, borderMode=cv2.BORDER_TRANSPARENT,
                            flags=cv2.INTER_LINEAR)
        noise = rng.normal(0, 3, frame.shape)
        out.append(np.clip(frame + noise, 0, 255).astype(np.uint8))
    return out


def cut_clip(video: Path, frames: int = 10, step: int = 1) -> Iterator[list[np.ndarray]]:
    """Consecutive tracks of ``frames`` frames (every ``step``-th frame) of a video file."""
    track: list[np.ndarray] = []
    for image in sampled_frames(video, step):
        track.append(image)
        if len(track) == frames:
            yield track
            track = []


def write_track(folder: Path, frames: list[np.ndarray]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for k, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{k:04d}.png"), frame)


def write_fixture(path: Path = FIXTURE_CLIP) -> None:
    """The loop test's clip: 24 frames, 320x240, 10 fps, MPEG-4 part 2 (OpenCV's own encoder)."""
    frames = print_attack_clip(read_image(FIXTURE_PHOTO, max_pixels=40_000_000), frames=24,
                               size=(320, 240), seed=3, fps=FIXTURE_FPS)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), FIXTURE_FPS, (320, 240))
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()


def attack_photos(args: argparse.Namespace) -> Iterator[tuple[str, np.ndarray]]:
    """(track name, BGR photo) of the photos to print: spread over ``--photos`` in name order, or
    colour photos of distinct people of the shared ``--faces``; either within ``--split`` (so that
    tuning and held-out attacks never share a person)."""
    if args.photos is not None:
        photos = sorted(p for p in args.photos.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES and (
            args.split is None or split_of(f"{args.photos.name}/{p.parent.name}") in args.split))
        step = max(1, len(photos) // args.tracks)  # spread over the people, not the first few
        for path in photos[::step][: args.tracks]:
            yield f"{path.parent.name}-{path.stem}", read_image(path, max_pixels=40_000_000)
        return
    taken = 0
    sources = [s for split in args.split or ["test"]
               for s in sample_split(face_sources(args.faces), split, args.tracks * 2, seed=0, per_person=1)]
    for source in sources:
        if taken == args.tracks:
            return
        photo = read_image(source.path, max_pixels=40_000_000)
        if not is_grey(photo):
            taken += 1
            yield source.person.replace("/", "__"), photo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="kind", required=True)
    attacks = sub.add_parser("attacks")
    source = attacks.add_mutually_exclusive_group(required=True)
    source.add_argument("--photos", type=Path, help="folder of face photos (recursive)")
    source.add_argument("--faces", type=Path, help="the shared faces folder, sampled by person "
                        "(edge/eval/pad_sources.py) within --split")
    attacks.add_argument("--split", choices=list(SPLITS), nargs="+", help="only the people of these "
                         "splits (edge/eval/pad_sources.py; with --photos a person is a photo's folder)")
    attacks.add_argument("--out", type=Path, required=True)
    attacks.add_argument("--tracks", type=int, default=50)
    attacks.add_argument("--frames", type=int, default=10)
    attacks.add_argument("--size", type=int, nargs=2, default=(640, 480))
    attacks.add_argument("--still", action="store_true", help="prints propped up on a stand, not held")
    bona = sub.add_parser("bona-fide")
    bona.add_argument("--video", type=Path, required=True)
    bona.add_argument("--out", type=Path, required=True)
    bona.add_argument("--frames", type=int, default=10)
    bona.add_argument("--step", type=int, default=1)
    sub.add_parser("fixture")
    args = parser.parse_args()
    if args.kind == "fixture":
        write_fixture()
    elif args.kind == "attacks":
        for k, (name, photo) in enumerate(attack_photos(args)):
            clip = print_attack_clip(photo, frames=args.frames, size=tuple(args.size), seed=k,
                                     still=args.still)
            write_track(args.out / f"{k:04d}-{name}", clip)
    else:
        for k, track in enumerate(cut_clip(args.video, args.frames, args.step)):
            write_track(args.out / f"{args.video.stem}-{k:04d}", track)


if __name__ == "__main__":
    main()
