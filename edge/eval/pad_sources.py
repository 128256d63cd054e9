"""Bona fide photos to simulate presentation attacks from, split by person.

A person's photos all land in one split (train, calibration or test), decided by a hash of the
person's id, so that figures on the test split are on people the classifier never saw in any
form: not as bona fide, not printed, not replayed, not even as a blurred background.

Folders of ``../shared/data/faces`` used: ``lfw-view1/<Name>/``, ``misc/<Name>/``,
``east-asian-celebs/<Name>/`` (one person per folder) and ``east-asian-strangers/NNNNN.jpg`` (one
person per file). ``att`` is not used: its 92x112 grey images cannot look like a colour webcam's
bona fide capture. Grey photos elsewhere (misc's face-api crops) are skipped for the same reason.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PERSON_FOLDERS = ("lfw-view1", "misc", "east-asian-celebs")
ONE_PERSON_PER_FILE = ("east-asian-strangers",)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
# share of people, by the hash of their id modulo 10
SPLITS: dict[str, tuple[int, ...]] = {"train": (0, 1, 2, 3, 4, 5), "calibration": (6,), "test": (7, 8, 9)}


@dataclass(frozen=True)
class FaceSource:
    path: Path
    person: str  # "<folder>/<name>": the unit of the train/test split


def split_of(person: str) -> str:
    bucket = zlib.crc32(person.encode("utf-8")) % 10
    return next(name for name, buckets in SPLITS.items() if bucket in buckets)


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def face_sources(root: Path) -> list[FaceSource]:
    """Every usable photo under ``root`` (the shared ``faces`` folder), in a stable order."""
    sources: list[FaceSource] = []
    for name in PERSON_FOLDERS:
        for person in sorted(p for p in (root / name).iterdir() if p.is_dir()):
            sources += [FaceSource(path, f"{name}/{person.name}") for path in _images(person)]
    for name in ONE_PERSON_PER_FILE:
        sources += [FaceSource(path, f"{name}/{path.stem}") for path in _images(root / name)]
    return sources


def sample_split(sources: list[FaceSource], split: str, count: int, seed: int,
                 per_person: int = 2) -> list[FaceSource]:
    """Up to ``count`` photos of ``split``, at most ``per_person`` of one person, drawn at random
    (reproducible from ``seed``) so that the people with hundreds of photos do not dominate."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {list(SPLITS)}")
    rng = np.random.default_rng(seed)
    taken: dict[str, int] = {}
    chosen: list[FaceSource] = []
    for index in rng.permutation(len(sources)):
        source = sources[index]
        if split_of(source.person) != split or taken.get(source.person, 0) >= per_person:
            continue
        taken[source.person] = taken.get(source.person, 0) + 1
        chosen.append(source)
        if len(chosen) == count:
            break
    return chosen
