"""Search answers -> one Identification per detected face, paired one-to-one by rectangle overlap."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edge.identify.base import Candidate, Identification
from edge.identify.iai.tables import SCALE
from edge.identify.matching import assign_rectangles
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
    """Each detected face with the candidates of the one result paired with it (or none)."""
    assigned = assign_rectangles([face.detection.box for face in faces], [box for box, _ in results], min_iou)
    return [Identification(results[r][1] if r is not None else (), BACKEND_NAME, SCALE) for r in assigned]
