"""Exact 1:N search: an immutable in-memory snapshot of the gallery, searched by one matmul.

The store builds a :class:`GallerySnapshot` (float32 matrix, faces grouped by person) and swaps
it whole when the gallery changes, so a search never sees a half-applied change and needs no
lock. A door searches only its own groups: :meth:`GallerySnapshot.view` cuts (and caches) the
sub-matrix of the people in those groups.

A probe is scored against each person's *template*: the normalized mean of all the person's
face embeddings. Measured on East Asian faces (docs/benchmarks.md), the template separates
identities far better than the best single face: one odd enrolled photo no longer decides, and
the impostor scores a door calibrates on are those of the templates it searches.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from edge.errors import ModelError


@dataclass(frozen=True)
class Hit:
    person_id: str
    name: str
    score: float  # cosine similarity of the person's best face


@dataclass(frozen=True)
class GroupView:
    """The searchable part of a snapshot for one set of groups."""

    matrix: np.ndarray  # (faces, D) float32, rows grouped by person
    starts: np.ndarray  # (persons,) first row of each person
    templates: np.ndarray  # (persons, D) float32: each person's normalized mean face
    person_ids: tuple[str, ...]
    names: tuple[str, ...]
    last_confirmed: np.ndarray  # (persons,) unix seconds

    @property
    def n_persons(self) -> int:
        return len(self.person_ids)

    def search(
        self, queries: np.ndarray, top_k: int = 5, confirmed_since: float | None = None
    ) -> list[list[Hit]]:
        """Best ``top_k`` people for each query row (L2-normalized float32), best first; a
        person's score is the cosine similarity of the query and the person's template.

        ``confirmed_since`` (unix seconds) leaves out people last confirmed before it.
        """
        queries = self._queries(queries)
        if self.n_persons == 0:
            return [[] for _ in queries]
        return self._ranked(self.templates @ queries.T, top_k, confirmed_since)

    def nearest_faces(self, queries: np.ndarray, top_k: int = 1) -> list[list[Hit]]:
        """Like :meth:`search`, scoring each person by their single most similar face (for
        near-duplicate checks at enrollment, not for identification)."""
        queries = self._queries(queries)
        if self.n_persons == 0:
            return [[] for _ in queries]
        per_person = np.maximum.reduceat(self.matrix @ queries.T, self.starts, axis=0)
        return self._ranked(per_person, top_k, None)

    def _queries(self, queries: np.ndarray) -> np.ndarray:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        if self.n_persons and queries.shape[1] != self.matrix.shape[1]:
            raise ModelError(f"the gallery holds {self.matrix.shape[1]}-D embeddings but the descriptor "
                             f"gives {queries.shape[1]}-D: the gallery was enrolled with another model")
        return queries

    def _ranked(self, per_person: np.ndarray, top_k: int, confirmed_since: float | None) -> list[list[Hit]]:
        """(persons, Q) scores -> the best ``top_k`` people of each column."""
        if confirmed_since is not None:
            per_person[self.last_confirmed < confirmed_since] = -np.inf
        k = min(top_k, self.n_persons)
        results = []
        for column in per_person.T:
            top = np.argpartition(-column, k - 1)[:k]
            top = top[np.argsort(-column[top])]
            results.append(
                [Hit(self.person_ids[i], self.names[i], float(column[i])) for i in top
                 if np.isfinite(column[i])]
            )
        return results


def templates(matrix: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """(persons, D) float32: the normalized mean of each person's rows (rows grouped by person,
    ``starts`` the first row of each)."""
    if len(starts) == 0:
        return np.zeros((0, matrix.shape[1] if matrix.ndim == 2 else 0), np.float32)
    sums = np.add.reduceat(matrix.astype(np.float64), starts, axis=0)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.maximum(norms, 1e-12)).astype(np.float32)


class PersonEntry(NamedTuple):  # a tuple: built 100k times per snapshot of a large gallery
    person_id: str
    name: str
    groups: frozenset[str]
    last_confirmed: float
    faces: int  # rows of the snapshot's matrix, in the order of the people


@dataclass(frozen=True)
class GallerySnapshot:
    """Everything searchable at one moment; never mutated after it is built.

    ``matrix`` holds every face, grouped by person in the order of ``people``; a view of all
    groups shares it, a view of some groups copies only their rows.
    """

    people: tuple[PersonEntry, ...]
    matrix: np.ndarray  # (faces, D) float32
    version: int
    _views: dict[frozenset[str] | None, GroupView] = field(default_factory=dict, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False)

    def view(self, groups: Iterable[str] | None = None) -> GroupView:
        """The people in any of ``groups`` (``None`` = everyone), built once per group set."""
        key = frozenset(groups) if groups is not None else None
        with self._lock:
            cached = self._views.get(key)
            if cached is None:
                cached = self._views[key] = self._build_view(key)
        return cached

    def n_persons(self, groups: Iterable[str] | None = None) -> int:
        return self.view(groups).n_persons

    def _build_view(self, groups: frozenset[str] | None) -> GroupView:
        counts = np.array([p.faces for p in self.people], dtype=np.int64)
        chosen = np.array([p.faces > 0 and (groups is None or bool(p.groups & groups)) for p in self.people],
                          dtype=bool)
        rows = np.repeat(chosen, counts)
        matrix = self.matrix if chosen.all() else np.ascontiguousarray(self.matrix[rows])
        people = [p for p, keep in zip(self.people, chosen) if keep]
        kept_counts = counts[chosen]
        starts = (np.concatenate([[0], np.cumsum(kept_counts)[:-1]]).astype(np.int64) if people
                  else kept_counts)
        return GroupView(
            matrix=matrix,
            starts=starts,
            templates=templates(matrix, starts),
            person_ids=tuple(p.person_id for p in people),
            names=tuple(p.name for p in people),
            last_confirmed=np.array([p.last_confirmed for p in people], dtype=np.float64),
        )
