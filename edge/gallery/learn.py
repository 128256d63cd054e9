"""The cloud-taught cache: faces the cloud named with certainty join that person's local faces.

Only when a cloud backend names a person at a strict false-accept rate
(``gallery.learn_max_false_accept``), on a face that passed every quality gate, and only for that
person (never for anyone the cloud did not name). The appliance's loop decides when a cloud's
answer may teach at all (a track PAD judged bona fide for good, the face at the door:
:meth:`edge.service.runner.Appliance._teach`). Each person keeps at most
``gallery.max_faces_per_person`` faces; when full, the learned face most similar to another one
makes room, so the cache keeps diverse samples (lighting, pose, glasses) rather than many of the
same.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from enum import Enum

import numpy as np

from edge.gallery.config import GallerySettings
from edge.gallery.store import GalleryStore
from edge.identify.base import Backend, Identification
from edge.vision.types import Face


class Outcome(str, Enum):
    LEARNED = "learned"
    REPLACED = "replaced"  # learned, in place of a more redundant learned face
    NOT_STRICT = "not_strict"  # no candidate at the strict rate, or two of them
    BAD_FACE = "bad_face"  # no embedding, or a quality gate objected
    UNKNOWN_PERSON = "unknown_person"  # the cloud named someone this gallery does not hold
    REDUNDANT = "redundant"  # near-duplicate of a stored face, or less diverse than all learned
    FULL = "full"  # the person's faces are all enrolled ones


class CloudTeacher:
    """The cache's rules for one cloud answer about one face (:meth:`observe`)."""

    def __init__(self, store: GalleryStore, settings: GallerySettings, groups: Sequence[str],
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.settings = settings
        self.groups = tuple(groups)
        self._clock = clock

    def observe(self, backend: Backend, face: Face, answer: Identification) -> Outcome:
        """What ``backend``'s ``answer`` about ``face`` taught the cache (stored when learned)."""
        if face.embedding is None or not face.quality.ok:
            return Outcome.BAD_FACE
        strict = backend.threshold(self.settings.learn_max_false_accept,
                                   self.store.snapshot().n_persons(self.groups))
        passing = [c for c in answer.candidates if c.score >= strict.score]
        # the rate the cut stands for may come back through a 1:N round trip: allow float rounding
        if strict.far > self.settings.learn_max_false_accept * (1 + 1e-9) or len(passing) != 1:
            return Outcome.NOT_STRICT
        person_id = self._local_person(backend.name, passing[0].person_id)
        if person_id is None:
            return Outcome.UNKNOWN_PERSON
        now = self._clock()
        self.store.confirm([person_id], now)
        return self._add_if_diverse(person_id, face.embedding, now)

    def _local_person(self, backend: str, remote_id: str) -> str | None:
        mapped = self.store.person_for_remote(backend, remote_id)
        if mapped is not None:
            return mapped
        same = self.store.person(remote_id)
        if same is not None and not any(r.backend == backend for r in same.remote):
            return same.id
        return None

    def _add_if_diverse(self, person_id: str, embedding: np.ndarray, now: float) -> Outcome:
        stored = self.store.faces(person_id)
        if not stored:
            self.store.add_face(person_id, embedding, "learned", now=now)
            return Outcome.LEARNED
        matrix = np.stack([f.embedding for f in stored])
        new_similarity = matrix @ embedding
        if float(new_similarity.max()) >= self.settings.duplicate_similarity:
            return Outcome.REDUNDANT
        if len(stored) < self.settings.max_faces_per_person:
            self.store.add_face(person_id, embedding, "learned", now=now)
            return Outcome.LEARNED
        learned = [i for i, f in enumerate(stored) if f.source == "learned"]
        if not learned:
            return Outcome.FULL
        pairwise = matrix @ matrix.T
        np.fill_diagonal(pairwise, -np.inf)
        redundancy = pairwise.max(axis=1)
        victim = max(learned, key=lambda i: redundancy[i])
        if float(new_similarity.max()) >= float(redundancy[victim]):
            return Outcome.REDUNDANT
        self.store.add_face(person_id, embedding, "learned", now=now, replace_face_id=stored[victim].id)
        return Outcome.REPLACED
