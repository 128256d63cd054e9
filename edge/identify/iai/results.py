"""Search answers -> one Identification per detected face, paired by rectangle overlap."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edge.identify.base import Candidate, Identification
from edge.identify.iai.tables import SCALE
from edge.vision.types import Box, Face

BACKEND_NAME = "iai"


def _box(rect: Any, scale: float) -> Box:
    return Box(rect.X / scale, rect.Y / scale, rect.Width / scale, rect.Height / scale)


def _candidates(raw: Sequence[Any]) -> tuple[Candidate, ...]:
    """Best score per person, best first (a person may come back from several groups)."""
    best: dict[str, Candidate] = {}
    for item in raw:
        candidate = Candidate(str(item.PersonId), float(item.Score), item.PersonName or None)
        if candidate.person_id not in best or candidate.score > best[candidate.person_id].score:
            best[candidate.person_id] = candidate
    return tuple(sorted(best.values(), key=lambda c: c.score, reverse=True))


Result = tuple[Box, tuple[Candidate, ...]]


def search_results(response: Any, *, by_group: bool, scale: float = 1.0) -> list[Result]:
    """(face rectangle in frame pixels, candidates) per face the service found.

    ``scale`` is how much the uploaded image was shrunk from the frame. A face that failed the
    service's quality control (RetCode -1601) has no candidates.
    """
    results = []
    for result in (response.ResultsReturnsByGroup if by_group else response.Results) or []:
        if result.FaceRect is None:
            continue
        if result.RetCode:
            raw: list[Any] = []
        elif by_group:
            raw = [c for group in result.GroupCandidates or [] for c in group.Candidates or []]
        else:
            raw = list(result.Candidates or [])
        results.append((_box(result.FaceRect, scale), _candidates(raw)))
    return results


def match_to_faces(
    faces: Sequence[Face], results: Sequence[Result], min_iou: float
) -> list[Identification]:
    """Pair each detected face with at most one result, greedily by highest overlap."""
    pairs = sorted(
        (
            (face.detection.box.iou(box), f, r)
            for f, face in enumerate(faces)
            for r, (box, _) in enumerate(results)
        ),
        reverse=True,
    )
    chosen: dict[int, int] = {}
    used: set[int] = set()
    for iou, f, r in pairs:
        if iou < min_iou:
            break
        if f not in chosen and r not in used:
            chosen[f] = r
            used.add(r)
    return [
        Identification(results[chosen[f]][1] if f in chosen else (), BACKEND_NAME, SCALE)
        for f in range(len(faces))
    ]
