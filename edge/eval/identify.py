"""``edge eval identify``: open-set 1:N identification as the door lives it.

Gallery and probes are folders of ``Identity/*.jpg``. The first K images of each gallery
identity (sorted by name) are enrolled; a probe of an enrolled identity is genuine and must be
identified as that identity, a probe of anyone else is an impostor and must be rejected. The
search is the gallery's own (:class:`edge.gallery.search.GallerySnapshot`, best face per person).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge.errors import BadInput
from edge.gallery.search import GallerySnapshot, PersonEntry
from edge.identify.thresholds import FarTable, one_to_n_far, one_to_one_far

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
GROUP = "eval"


def identity_images(folder: Path, per_person: int | None = None) -> dict[str, list[Path]]:
    """``{identity: [image, ...]}`` of ``folder/Identity/*``, sorted, at most ``per_person`` each."""
    if not folder.is_dir():
        raise BadInput(f"{folder}: not a folder of Identity/*.jpg")
    found = {}
    for person in sorted(p for p in folder.iterdir() if p.is_dir()):
        images = sorted(p for p in person.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if images:
            found[person.name] = images[:per_person] if per_person else images
    if not found:
        raise BadInput(f"{folder}: no Identity/*.jpg images")
    return found


@dataclass(frozen=True)
class SearchOutcome:
    """Top-1 result of every probe."""

    score: np.ndarray  # best person's score
    correct: np.ndarray  # bool: the best person is the probe's identity
    genuine: np.ndarray  # bool: the probe's identity is enrolled


def search_probes(
    gallery: dict[str, list[np.ndarray]], probes: list[tuple[str, np.ndarray]]
) -> SearchOutcome:
    people = tuple(PersonEntry(name, name, frozenset({GROUP}), 0.0, len(vectors))
                   for name, vectors in gallery.items())
    matrix = np.stack([v for vectors in gallery.values() for v in vectors]).astype(np.float32)
    view = GallerySnapshot(people, matrix, 1).view([GROUP])
    hits = view.search(np.stack([v for _, v in probes]), top_k=1)
    return SearchOutcome(
        score=np.array([h[0].score for h in hits]),
        correct=np.array([h[0].person_id == name for h, (name, _) in zip(hits, probes)]),
        genuine=np.array([name in gallery for name, _ in probes]),
    )


def rates_at(outcome: SearchOutcome, threshold: float) -> dict[str, float]:
    accepted = outcome.score >= threshold
    genuine, impostor = outcome.genuine, ~outcome.genuine
    return {
        "threshold": float(threshold),
        "tpir": float((accepted & outcome.correct)[genuine].mean()) if genuine.any() else 0.0,
        "fpir": float(accepted[impostor].mean()) if impostor.any() else 0.0,
        "misid": float((accepted & ~outcome.correct)[genuine].mean()) if genuine.any() else 0.0,
    }


def identification_report(outcome: SearchOutcome, table: FarTable, far_policy: float, n_enrolled: int,
                          n_no_face: int = 0, curve_points: int = 41) -> dict[str, Any]:
    """Figures at the policy's threshold, the FPIR the table promises there, and the curve.

    The threshold is the local backend's: the calibration's score for the 1:1 rate that makes
    the 1:N rate ``far_policy`` over ``n_enrolled`` people (``one_to_one_far``); the promise is
    ``one_to_n_far`` of the 1:1 rate the table gives that score (they differ only where the table
    cannot go as strict as asked).
    """
    cut = table.threshold_for(one_to_one_far(far_policy, n_enrolled))
    n_impostor = int((~outcome.genuine).sum())
    promised = one_to_n_far(cut.far, n_enrolled)
    low, high = float(outcome.score.min()), float(outcome.score.max())
    return {
        "n_enrolled": n_enrolled,
        "n_genuine": int(outcome.genuine.sum()),
        "n_impostor": n_impostor,
        **rates_at(outcome, cut.score),
        "far_policy": far_policy,
        "far_1to1": cut.far,
        "fpir_promised": promised,
        "impostors_accepted": int((outcome.score[~outcome.genuine] >= cut.score).sum()),
        "impostors_expected": promised * n_impostor,
        "n_no_face": n_no_face,
        "curve": [rates_at(outcome, t) for t in np.linspace(low, high, curve_points)],
    }


def format_identification(report: dict[str, Any]) -> str:
    return "\n".join([
        f"enrolled {report['n_enrolled']} people; probes: {report['n_genuine']} genuine, "
        f"{report['n_impostor']} impostor ({report['n_no_face']} images without a detected face)",
        f"policy: 1:N false accept {report['far_policy']:g} -> 1:1 {report['far_1to1']:.3g} -> "
        f"threshold {report['threshold']:.4f}",
        f"TPIR {report['tpir']:.4f}   misidentified {report['misid']:.4f}",
        f"FPIR {report['fpir']:.4f} ({report['impostors_accepted']} impostors accepted; the calibration "
        f"promises {report['fpir_promised']:.4f}, i.e. {report['impostors_expected']:.1f})",
    ])


def open_set_split(images: Path, out: Path, people: set[str] | None = None) -> str:
    """Symlink an open-set split of ``images/Identity/*`` into ``out/gallery`` and ``out/probes``.

    Of the people (sorted by name, optionally only ``people``) with at least two images, every
    other one is enrolled with the first image and the rest of their images become genuine
    probes; the others, and everyone with a single image, are impostors (all their images probes).
    Returns a one-line summary.
    """
    identities = identity_images(images)
    if people is not None:
        identities = {name: paths for name, paths in identities.items() if name in people}
    if out.exists():
        raise BadInput(f"{out}: already exists (the split goes into a new folder)")
    several = [name for name, paths in identities.items() if len(paths) >= 2]
    enrolled = set(several[::2])
    counts = {"enrolled": 0, "genuine": 0, "impostor": 0}

    def link(kind: str, name: str, path: Path) -> None:
        target = out / kind / name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(path.resolve())

    for name, paths in identities.items():
        if name in enrolled:
            link("gallery", name, paths[0])
            counts["enrolled"] += 1
            counts["genuine"] += len(paths) - 1
            rest = paths[1:]
        else:
            counts["impostor"] += len(paths)
            rest = paths
        for path in rest:
            link("probes", name, path)
    return (f"{out}: {counts['enrolled']} people enrolled (first image), {counts['genuine']} genuine probes, "
            f"{counts['impostor']} impostor probes of {len(identities) - counts['enrolled']} other people")
