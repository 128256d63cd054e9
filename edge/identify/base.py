"""The interface every identification backend implements (local, youtu, sensetime, iai)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from edge.identify.thresholds import Threshold
from edge.vision.types import Face


@dataclass(frozen=True)
class Candidate:
    person_id: str
    score: float  # on the backend's own scale
    name: str | None = None


@dataclass(frozen=True)
class Identification:
    """A backend's answer for one detected face: candidates sorted best first (may be empty)."""

    candidates: tuple[Candidate, ...]
    backend: str
    scale: str  # e.g. "cosine", "0-100", "0-1"

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


class Backend(Protocol):
    """Identifies the faces of one frame against the door's groups.

    ``cloud``: answers come over the network from a service that names people by its own ids
    (the chain runs it under a deadline, counts it as the cloud being reached or not, and
    teaches the local gallery from it); False for the on-device gallery search.
    """

    name: str
    cloud: bool

    def identify(
        self, frame: np.ndarray, faces: Sequence[Face], *, deadline_s: float
    ) -> list[Identification]:
        """One Identification per face, in the order of ``faces``.

        ``frame`` is the BGR frame the faces were found in (cloud backends upload it or crops
        of it and match results to faces by their rectangles). Raises
        :class:`edge.errors.BackendUnavailable` when the backend cannot answer in time.
        """
        ...

    def threshold(self, max_false_accept: float, gallery_size: int) -> Threshold:
        """The score a candidate must reach for the door's policy, from the backend's table."""
        ...


class Enroller(Protocol):
    """A backend that can hold people (the cloud ones; the local gallery is its own store)."""

    name: str

    def create_person(self, person_id: str, name: str, groups: Sequence[str], jpeg: bytes) -> str:
        """Create the person with a first face; return the backend's id for the person."""
        ...

    def add_face(self, person_id: str, jpeg: bytes) -> str:
        """Add a face; return the backend's face id."""
        ...

    def delete_person(self, person_id: str) -> None: ...

    def list_persons(self, groups: Sequence[str]) -> list[str]:
        """Ids of the persons the backend holds in these groups (for revocation sync)."""
        ...
