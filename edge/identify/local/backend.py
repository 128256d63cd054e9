"""The local backend: the on-device descriptor searched exactly against the gallery (1:N).

It reuses the embeddings the analyzer already computed for each face (the runner hands it each
track's fused descriptor). Scores are cosine similarities against each person's template; the
threshold comes from the stricter of the door's site calibration and the descriptor's shipped
table, made stricter for the number of people the door searches (``one_to_one_far``).
``groups=None`` searches the whole gallery (the appliance's choice: the access decision then
tells "not allowed here" from "unknown"); a list of groups restricts the search to their members.

When cloud backends are configured, the cloud is the authority and the local gallery is its
cache: a person not confirmed by the cloud for longer than ``offline.max_age`` does not match.
With a local-only configuration the gallery is the authority and enrolled people never expire.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import timedelta

import numpy as np

from edge.gallery.store import GalleryStore
from edge.identify.base import Candidate, Identification
from edge.identify.local.policy import policy_threshold
from edge.identify.local.site import SiteCalibration
from edge.identify.thresholds import FarTable, Threshold
from edge.vision.types import Face

SCALE = "cosine"


class LocalBackend:
    name = "local"
    cloud = False

    def __init__(
        self,
        store: GalleryStore,
        table: FarTable,
        groups: Sequence[str] | None,
        *,
        max_age: timedelta | None,
        top_k: int = 5,
        clock: Callable[[], float] = time.time,
        site: Callable[[], SiteCalibration | None] = lambda: None,
    ) -> None:
        self.store = store
        self.table = table
        self.groups = tuple(groups) if groups is not None else None
        self.max_age = max_age
        self._top_k = top_k
        self._clock = clock
        self._site = site

    def identify(
        self, frame: np.ndarray, faces: Sequence[Face], *, deadline_s: float
    ) -> list[Identification]:
        """Candidates for every described face (a face without an embedding gets none)."""
        described = [i for i, face in enumerate(faces) if face.embedding is not None]
        answers = [Identification((), self.name, SCALE) for _ in faces]
        if not described:
            return answers
        queries = np.stack([faces[i].embedding for i in described]).astype(np.float32)  # type: ignore[misc]
        confirmed_since = None if self.max_age is None else self._clock() - self.max_age.total_seconds()
        view = self.store.snapshot().view(self.groups)
        for index, hits in zip(described, view.search(queries, self._top_k, confirmed_since)):
            candidates = tuple(Candidate(h.person_id, h.score, h.name) for h in hits)
            answers[index] = Identification(candidates, self.name, SCALE)
        return answers

    def gallery_size(self) -> int:
        """People the door searches (every one counts, expired or not: the stricter side)."""
        return self.store.snapshot().n_persons(self.groups)

    def threshold(self, max_false_accept: float, gallery_size: int) -> Threshold:
        """The cut for the door's 1:N rate from the stricter of the site calibration and the
        shipped table, and the 1:N rate it really stands for (higher than asked when no table
        reaches that low: see :mod:`edge.identify.local.policy`)."""
        cut = policy_threshold(self.table, self._site(), max_false_accept, gallery_size)
        return Threshold(cut.score, SCALE, cut.fpir, cut.calibration)
