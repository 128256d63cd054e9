"""``edge eval identify``: open-set 1:N identification as the door lives it.

Gallery and probes are folders of ``Identity/*.jpg``. The first K images of each gallery
identity (sorted by name) are enrolled; a probe of an enrolled identity is genuine and must be
identified as that identity, a probe of anyone else is an impostor and must be rejected. A probe
is one image, or up to ``--probe-frames`` images of one identity fused as the door fuses a
track. The search is the gallery's own (:class:`edge.gallery.search.GallerySnapshot`, one
template per person), and the cut is the door's: calibrated on the site (see
:func:`identification_report`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge.capture.folder import IMAGE_SUFFIXES
from edge.errors import BadInput
from edge.gallery.search import GallerySnapshot, GroupView, PersonEntry
from edge.identify.fusion import fuse
from edge.identify.local.policy import policy_threshold
from edge.identify.local.site import calibrate_site
from edge.identify.thresholds import FarTable

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
class Probe:
    identity: str
    vector: np.ndarray  # (D,) unit vector, fused from ``frames`` images
    frames: int


def make_probes(images: dict[str, list[np.ndarray]], frames: int = 1) -> list[Probe]:
    """Each identity's images in runs of up to ``frames``, each run fused as a door fuses a
    track's frames (an identity with one image gives one single-image probe)."""
    return [Probe(identity, fuse(vectors[i:i + frames]), len(vectors[i:i + frames]))
            for identity, vectors in images.items() for i in range(0, len(vectors), frames)]


def enrolled_view(gallery: dict[str, list[np.ndarray]]) -> GroupView:
    """The door's searchable view of a gallery of ``{identity: [unit vector, ...]}``."""
    people = tuple(PersonEntry(name, name, frozenset({GROUP}), 0.0, len(vectors))
                   for name, vectors in gallery.items())
    matrix = np.stack([v for vectors in gallery.values() for v in vectors]).astype(np.float32)
    return GallerySnapshot(people, matrix, 1).view([GROUP])


@dataclass(frozen=True)
class SearchOutcome:
    """Top-1 result of every probe."""

    score: np.ndarray  # best person's score
    correct: np.ndarray  # bool: the best person is the probe's identity
    genuine: np.ndarray  # bool: the probe's identity is enrolled


def search_probes(view: GroupView, probes: list[Probe]) -> SearchOutcome:
    hits = view.search(np.stack([p.vector for p in probes]), top_k=1)
    return SearchOutcome(
        score=np.array([h[0].score for h in hits]),
        correct=np.array([h[0].person_id == p.identity for h, p in zip(hits, probes)]),
        genuine=np.array([p.identity in view.person_ids for p in probes]),
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


def cohort_folds(probes: list[Probe], enrolled: tuple[str, ...]) -> list[set[str]]:
    """The probes' identities that are not enrolled, in two folds (alternating by name): each
    fold's strangers are judged at a cut calibrated with the *other* fold as the door's cohort
    (faces the door saw and never identified), so no stranger calibrates its own threshold."""
    strangers = sorted({p.identity for p in probes if p.identity not in enrolled})
    return [set(strangers[0::2]), set(strangers[1::2])]


def identification_report(view: GroupView, probes: list[Probe], shipped: FarTable, far_policy: float,
                          cohort: np.ndarray | None = None, cross_fit: bool = True,
                          curve_points: int = 41) -> dict[str, Any]:
    """Figures at the door's cut for ``far_policy``, the FPIR that cut states, and the curve.

    The cut is the local backend's: the stricter of the shipped table and a site calibration on
    the enrolled gallery plus a cohort (``cohort`` rows, and with ``cross_fit`` the other fold of
    the probes' strangers, see :func:`cohort_folds`), made strict enough for 1:N over the
    enrolled people. Each fold's calibration is one door: its strangers are judged by the door
    calibrated on the other fold, and every genuine probe is judged by each door, so TPIR and
    misidentification are the mean over the doors (``thresholds`` lists their cuts,
    ``threshold`` is the strictest). When a cut cannot meet the policy that door grants nobody:
    ``policy_unreachable`` is true and every probe it judges counts as rejected.
    """
    outcome = search_probes(view, probes)
    folds = cohort_folds(probes, view.person_ids) if cross_fit else [set()]
    genuine, impostor = outcome.genuine, ~outcome.genuine
    accepted = np.zeros(len(probes), bool)
    found, misidentified = [], []
    cuts = []
    for fold, others in zip(folds, folds[::-1] if cross_fit else folds):
        extra = [p.vector for p in probes if p.identity in others]
        rows = [cohort] if cohort is not None and len(cohort) else []
        rows += [np.stack(extra)] if extra else []
        site = calibrate_site(view, np.concatenate(rows) if rows else None)
        cut = policy_threshold(shipped, site, far_policy, view.n_persons)
        cuts.append((cut, site))
        passes = outcome.score >= cut.score if cut.meets_policy else np.zeros(len(probes), bool)
        judged = np.array([p.identity in fold for p in probes]) if cross_fit else impostor
        accepted[judged] = passes[judged]
        if genuine.any():
            found.append(float((passes & outcome.correct)[genuine].mean()))
            misidentified.append(float((passes & ~outcome.correct)[genuine].mean()))
    cut, site = max(cuts, key=lambda c: c[0].score)
    n_impostor = int(impostor.sum())
    stated = max(c.fpir for c, _ in cuts)
    low, high = float(outcome.score.min()), float(outcome.score.max())
    return {
        "n_enrolled": view.n_persons,
        "n_genuine": int(genuine.sum()),
        "n_impostor": n_impostor,
        "probe_frames": max(p.frames for p in probes),
        "threshold": float(cut.score),
        "thresholds": [float(c.score) for c, _ in cuts],
        "tpir": float(np.mean(found)) if found else 0.0,
        "fpir": float(accepted[impostor].mean()) if impostor.any() else 0.0,
        "misid": float(np.mean(misidentified)) if misidentified else 0.0,
        "far_policy": far_policy,
        "far_1to1": cut.far_1to1,
        "fpir_promised": stated,
        "policy_unreachable": not all(c.meets_policy for c, _ in cuts),
        "calibration": cut.calibration,
        "site_impostor_scores": site.n_impostor,
        "site_cohort": site.n_cohort,
        "impostors_accepted": int(accepted[impostor].sum()),
        "impostors_expected": stated * n_impostor,
        "curve": [rates_at(outcome, t) for t in np.linspace(low, high, curve_points)],
    }


def format_identification(report: dict[str, Any], population: str = "") -> str:
    unreachable = "  POLICY UNREACHABLE: the door grants nobody" if report["policy_unreachable"] else ""
    return "\n".join([
        f"{population or 'probes'}: enrolled {report['n_enrolled']} people; probes (up to "
        f"{report['probe_frames']} images fused): {report['n_genuine']} genuine, {report['n_impostor']} "
        f"impostor ({report['n_no_face']} images without a detected face)",
        f"policy: 1:N false accept {report['far_policy']:g} -> 1:1 {report['far_1to1']:.3g} -> "
        f"threshold {' / '.join(f'{t:.4f}' for t in report['thresholds'])} "
        f"({report['calibration']} calibration, "
        f"{report['site_impostor_scores']} site impostor scores, {report['site_cohort']} cohort faces)"
        + unreachable,
        f"TPIR {report['tpir']:.4f}   misidentified {report['misid']:.4f}"
        + (" (mean over the doors, one per cohort fold)" if len(report["thresholds"]) > 1 else ""),
        f"FPIR {report['fpir']:.4f} ({report['impostors_accepted']} impostors accepted; the door states "
        f"{report['fpir_promised']:.2g}, i.e. {report['impostors_expected']:.2f})",
    ])


def open_set_split(images: Path, out: Path, people: set[str] | None = None, enroll: int = 1) -> str:
    """Symlink an open-set split of ``images/Identity/*`` into ``out/gallery`` and ``out/probes``.

    Of the people (sorted by name, optionally only ``people``) with more than ``enroll`` images,
    every other one is enrolled with the first ``enroll`` images and the rest of their images
    become genuine probes; the others, and everyone with fewer images, are impostors (all their
    images probes). Returns a one-line summary.
    """
    identities = identity_images(images)
    if people is not None:
        identities = {name: paths for name, paths in identities.items() if name in people}
    if out.exists():
        raise BadInput(f"{out}: already exists (the split goes into a new folder)")
    several = [name for name, paths in identities.items() if len(paths) > enroll]
    enrolled = set(several[::2])
    counts = {"enrolled": 0, "genuine": 0, "impostor": 0}

    def link(kind: str, name: str, path: Path) -> None:
        target = out / kind / name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(path.resolve())

    for name, paths in identities.items():
        if name in enrolled:
            for path in paths[:enroll]:
                link("gallery", name, path)
            counts["enrolled"] += 1
            counts["genuine"] += len(paths) - enroll
            rest = paths[enroll:]
        else:
            counts["impostor"] += len(paths)
            rest = paths
        for path in rest:
            link("probes", name, path)
    first = "first image" if enroll == 1 else f"first {enroll} images"
    return (f"{out}: {counts['enrolled']} people enrolled ({first}), {counts['genuine']} genuine probes, "
            f"{counts['impostor']} impostor probes of {len(identities) - counts['enrolled']} other people")
