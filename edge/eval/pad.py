"""``edge eval pad`` and ``edge pad calibrate``: APCER, BPCER and ACER of the PAD stage on tracks.

A track is a folder of frames in file-name order (one face followed over time). Each track gets
one score: the fused score of the first verdict the stage reaches as its frames arrive (from
``min_frames`` to ``max_frames``), because the door acts on it (see :func:`track_score`). A
track no method can judge scores +inf: the door never grants it (``undecided`` waits or denies),
so it counts as rejected at every operating point. Vocabulary and rates per ISO/IEC 30107-3:
APCER = attack presentations accepted as bona fide, BPCER = bona fide presentations rejected,
ACER = their mean.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge.capture.folder import IMAGE_SUFFIXES
from edge.errors import BadInput
from edge.vision.image_io import read_image
from edge.vision.pad.base import PadFrame
from edge.vision.pad.stage import PadStage
from edge.vision.types import Detection

BPCER_TARGETS = (0.01, 0.05, 0.10)

Detect = Callable[[np.ndarray], list[Detection]]


def track_folders(root: Path) -> list[Path]:
    """The sub-folders of ``root``, one track each, in name order."""
    if not root.is_dir():
        raise BadInput(f"{root}: not a folder of track folders")
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    if not folders:
        raise BadInput(f"{root}: no track sub-folders")
    return folders


def pad_frames(images: Sequence[np.ndarray], detect: Detect, fps: float = 10.0) -> list[PadFrame]:
    """The frames where a face is found, with their largest face, at ``fps``."""
    frames = []
    for k, image in enumerate(images):
        detections = detect(image)
        if detections:
            frames.append(PadFrame(k / fps, image, detections[0]))
    return frames


def read_track(folder: Path, max_pixels: int = 40_000_000) -> list[np.ndarray]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return [read_image(p, max_pixels=max_pixels) for p in files]


def track_score(stage: PadStage, frames: Sequence[PadFrame]) -> float:
    """The fused score of the first verdict the stage reaches as the track's frames arrive; +inf
    if it never reaches one. The door acts on that first verdict: an attack verdict is final, and
    a bona fide one lets the door grant at once when the face is already recognized (the worst
    case: a photo of an enrolled person), so a later attack verdict would come too late."""
    settings = stage.settings
    for end in range(settings.min_frames, min(len(frames), settings.max_frames) + 1):
        verdict = stage.judge(frames[:end])
        if verdict.score is not None:
            return verdict.score
    return float("inf")


@dataclass(frozen=True)
class PadRates:
    apcer: float
    bpcer: float

    @property
    def acer(self) -> float:
        return (self.apcer + self.bpcer) / 2


def rates(bona_fide: np.ndarray, attacks: np.ndarray, offset: float) -> PadRates:
    """Rates when a track is judged an attack at ``score >= offset``."""
    return PadRates(float(np.mean(attacks < offset)), float(np.mean(bona_fide >= offset)))


def operating_points(bona_fide: np.ndarray, attacks: np.ndarray) -> list[tuple[float, PadRates]]:
    """(offset, rates) at every distinct offset, strictest (lowest offset) first."""
    finite = np.concatenate([bona_fide, attacks])
    cuts = np.unique(np.concatenate([finite[np.isfinite(finite)], [np.inf]]))
    return [(float(c), rates(bona_fide, attacks, float(c))) for c in cuts]


def offset_for_bpcer(bona_fide: np.ndarray, attacks: np.ndarray, target: float) -> float | None:
    """The strictest offset whose BPCER is at most ``target`` (None if even +inf exceeds it)."""
    for offset, point in operating_points(bona_fide, attacks):
        if point.bpcer <= target:
            return offset
    return None


def pad_report(bona_fide: Sequence[float], attacks: Sequence[float], offset: float) -> dict[str, Any]:
    """The figures of ``edge eval pad`` (``offset``: the operating point in use)."""
    bona, attack = np.asarray(bona_fide, np.float64), np.asarray(attacks, np.float64)
    if bona.size == 0 or attack.size == 0:
        raise BadInput(f"need bona fide and attack tracks (got {bona.size} and {attack.size})")
    at_default = rates(bona, attack, offset)
    at_bpcer: dict[str, float | None] = {}
    for target in BPCER_TARGETS:
        chosen = offset_for_bpcer(bona, attack, target)
        at_bpcer[f"{target:g}"] = None if chosen is None else rates(bona, attack, chosen).apcer
    return {
        "apcer": at_default.apcer,
        "bpcer": at_default.bpcer,
        "acer": at_default.acer,
        "offset": offset,
        "apcer_at_bpcer": at_bpcer,
        "n_bona_fide": int(bona.size),
        "n_attacks": int(attack.size),
        "undecided_bona_fide": int(np.isinf(bona).sum()),
        "undecided_attacks": int(np.isinf(attack).sum()),
    }


def format_pad(report: dict[str, Any]) -> str:
    lines = [
        f"{report['n_bona_fide']} bona fide tracks ({report['undecided_bona_fide']} undecided), "
        f"{report['n_attacks']} attack tracks ({report['undecided_attacks']} undecided)",
        f"at the operating point (offset {report['offset']:+.3f}): APCER {report['apcer']:.3f}  "
        f"BPCER {report['bpcer']:.3f}  ACER {report['acer']:.3f}",
    ]
    for target, apcer in report["apcer_at_bpcer"].items():
        shown = "unreachable" if apcer is None else f"{apcer:.3f}"
        lines.append(f"  APCER at BPCER {float(target):.0%}: {shown}")
    return "\n".join(lines)


def score_folders(stage: PadStage, root: Path, detect: Detect,
                  max_pixels: int = 40_000_000) -> list[float]:
    """One score per track folder of ``root``."""
    return [track_score(stage, pad_frames(read_track(folder, max_pixels), detect))
            for folder in track_folders(root)]


def calibrate_offset(bona_fide: Sequence[float], attacks: Sequence[float], current: float,
                     bpcer_target: float) -> dict[str, Any]:
    """The strictest operating point whose BPCER on these tracks is at most ``bpcer_target``,
    and the rates before (at ``current``) and after. BadInput when no offset reaches the target
    (bona fide tracks PAD cannot judge are rejected at every offset)."""
    bona, attack = np.asarray(bona_fide, np.float64), np.asarray(attacks, np.float64)
    if bona.size == 0 or attack.size == 0:
        raise BadInput(f"need bona fide and attack tracks (got {bona.size} and {attack.size})")
    chosen = offset_for_bpcer(bona, attack, bpcer_target)
    if chosen is None:
        raise BadInput(f"no operating point keeps BPCER at or below {bpcer_target:g}: "
                       f"{int(np.isinf(bona).sum())} of {bona.size} bona fide tracks were never judged "
                       "(move more, or light the face better)")
    if np.isinf(chosen):  # every bona fide track scores above every cut: the loosest finite one
        chosen = float(np.max(bona[np.isfinite(bona)], initial=0.0)) + 1e-6
    before, after = rates(bona, attack, current), rates(bona, attack, chosen)
    return {
        "offset": chosen,
        "bpcer_target": bpcer_target,
        "before": {"offset": current, "apcer": before.apcer, "bpcer": before.bpcer},
        "after": {"offset": chosen, "apcer": after.apcer, "bpcer": after.bpcer},
        "n_bona_fide": int(bona.size),
        "n_attacks": int(attack.size),
    }
