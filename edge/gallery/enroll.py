"""Enrollment: photos -> quality-gated faces -> the gallery, and the same person in each cloud.

A photo is refused, with the reason, when it has no face, several faces, a face a quality gate
objects to, or a face that is a near-duplicate (``gallery.duplicate_similarity``, YouTu's 99%)
of one already stored. One person, one id: a face that matches *another* person at the door's
match threshold (``match_threshold``, the local backend's cut for the door's policy) is refused
unless the operator says it is a different person (``new_person_reason``, recorded by the caller
in the audit log) or adds it to that person instead. Cloud steps that fail leave the person
*pending* in that cloud, with the photos it still needs sealed in the store, for ``edge people
sync`` to finish.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from edge.errors import BadImage, BadInput, EdgeError
from edge.gallery.config import GallerySettings
from edge.gallery.ids import check_id, check_name
from edge.gallery.search import GroupView, Hit
from edge.gallery.store import GalleryStore
from edge.identify.base import Enroller
from edge.vision.image_io import read_image
from edge.vision.types import Face

log = logging.getLogger(__name__)

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
CLOUD_LONG_SIDE = 1280  # px: well inside every cloud's upload limit (YouTu: 1.5 MB body)


class Analyzer(Protocol):
    def analyze(self, image: np.ndarray, *, describe: bool = True) -> list[Face]: ...


@dataclass(frozen=True)
class Accepted:
    source: str
    face: Face
    jpeg: bytes  # for the clouds; never stored unless a cloud still needs it

    @property
    def embedding(self) -> np.ndarray:
        assert self.face.embedding is not None
        return self.face.embedding


@dataclass(frozen=True)
class Refusal:
    source: str
    reason: str


@dataclass(frozen=True)
class LookAlike:
    """A photo that matches another person at the door's threshold (one person, one id)."""

    source: str
    other: Hit
    threshold: float


@dataclass
class EnrollReport:
    person_id: str
    added: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    cloud_errors: dict[str, str] = field(default_factory=dict)
    look_alikes: list[LookAlike] = field(default_factory=list)  # enrolled anyway: a reason was given


def photos_in(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders expanded to their images (name order)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
        else:
            found.append(path)
    return found


def cloud_jpeg(image: np.ndarray) -> bytes:
    scale = min(1.0, CLOUD_LONG_SIDE / max(image.shape[:2]))
    if scale < 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise BadImage("the photo could not be re-encoded as JPEG")
    return data.tobytes()


class Enrollment:
    """Adds, removes and forgets people here and in every configured cloud."""

    def __init__(self, store: GalleryStore, analyzer: Analyzer, settings: GallerySettings,
                 enrollers: Sequence[Enroller] = (), max_image_pixels: int = 40_000_000,
                 match_threshold: Callable[[int], float] | None = None) -> None:
        """``match_threshold(people)`` = the door's cosine cut in a gallery of that many people
        (None = no one-person-one-id check, e.g. a bench filling a gallery)."""
        self.store = store
        self.analyzer = analyzer
        self.settings = settings
        self.enrollers = list(enrollers)
        self.max_image_pixels = max_image_pixels
        self.match_threshold = match_threshold

    def examine(self, image: np.ndarray, source: str) -> Accepted:
        """The photo's one good face, or BadInput saying why it cannot be enrolled."""
        faces = self.analyzer.analyze(image, describe=True)
        if not faces:
            raise BadInput("no face found")
        if len(faces) > 1:
            raise BadInput(f"{len(faces)} faces found: use a photo of this person alone")
        face = faces[0]
        if not face.quality.ok:
            raise BadInput("face refused by quality gates: " + ", ".join(face.quality.reasons))
        if face.embedding is None:
            raise BadInput("the face could not be described")
        return Accepted(source, face, cloud_jpeg(image))

    def examine_files(self, paths: Iterable[Path]) -> tuple[list[Accepted], list[Refusal]]:
        accepted: list[Accepted] = []
        refused: list[Refusal] = []
        for path in photos_in(paths):
            try:
                accepted.append(self.examine(read_image(path, max_pixels=self.max_image_pixels), str(path)))
            except BadInput as exc:
                refused.append(Refusal(str(path), str(exc)))
        return accepted, refused

    def add(self, person_id: str, name: str | None, groups: Sequence[str], photos: Sequence[Accepted],
            refused: Sequence[Refusal] = (), *, new_person_reason: str | None = None) -> EnrollReport:
        """Enroll ``photos`` for a new or existing person (groups are joined, never left).

        A new person needs a valid id and ``name``; an existing one keeps theirs (``name`` may be
        None). BadInput when nothing can be enrolled, or when a photo matches another person at
        the door's threshold and no ``new_person_reason`` is given.
        """
        existing = self.store.person(person_id)
        if existing is None:
            check_id(person_id, "person id")
            if name is None:
                raise BadInput(f"person {person_id!r} is new: give their name")
            name = check_name(name)
        else:
            name = existing.name
        report = EnrollReport(person_id, refused=list(refused))
        kept = self._without_duplicates(person_id, photos, report)
        report.look_alikes = self._look_alikes(person_id, kept, new=existing is None)
        if report.look_alikes and not new_person_reason:
            raise BadInput(_same_person_refusal(person_id, report.look_alikes))
        room = self.settings.max_faces_per_person - (existing.faces if existing else 0)
        for extra in kept[max(room, 0):]:
            report.refused.append(Refusal(extra.source, f"{person_id} already has the most faces "
                                          f"allowed ({self.settings.max_faces_per_person})"))
        kept = kept[:max(room, 0)]
        if not kept:
            reasons = "; ".join(f"{r.source}: {r.reason}" for r in report.refused) or "no photo given"
            raise BadInput(f"nothing enrolled for {person_id}: {reasons}")
        now = time.time()
        with self.store.batch():  # the person and their faces in one durable commit
            if existing is None:
                self.store.add_person(person_id, name, groups)
            elif groups:
                self.store.add_to_groups(person_id, groups)
            for photo in kept:
                self.store.add_face(person_id, photo.embedding, "enrolled", photo.face.detection.score, now)
                report.added.append(photo.source)
        groups_now = self.store.require_person(person_id).groups
        for enroller in self.enrollers:
            error = self._push(enroller, person_id, name, groups_now, [p.jpeg for p in kept])
            if error:
                report.cloud_errors[enroller.name] = error
        return report

    def _without_duplicates(self, person_id: str, photos: Sequence[Accepted],
                            report: EnrollReport) -> list[Accepted]:
        limit = self.settings.duplicate_similarity
        everyone = self.store.snapshot().view(None)
        kept: list[Accepted] = []
        for photo in photos:
            best = everyone.nearest_faces(photo.embedding)[0]
            if best and best[0].score >= limit:
                who = "this person" if best[0].person_id == person_id else best[0].person_id
                report.refused.append(Refusal(photo.source, f"near-duplicate of a face of {who} already "
                                              f"stored (similarity {best[0].score:.3f})"))
            elif any(float(k.embedding @ photo.embedding) >= limit for k in kept):
                report.refused.append(Refusal(photo.source, "near-duplicate of another photo given"))
            else:
                kept.append(photo)
        return kept

    def _look_alikes(self, person_id: str, photos: Sequence[Accepted], *, new: bool) -> list[LookAlike]:
        """The photos that the door would take for someone other than ``person_id``."""
        if self.match_threshold is None or not photos:
            return []
        everyone = self.store.snapshot().view(None)
        threshold = self.match_threshold(everyone.n_persons + int(new))
        others = _best_others(everyone, person_id, [p.embedding for p in photos])
        return [LookAlike(photo.source, other, threshold)
                for photo, other in zip(photos, others) if other is not None and other.score >= threshold]

    def still_matching(self, person_id: str) -> list[LookAlike]:
        """Other people the door would take ``person_id``'s faces for (the same person under
        another id survives a removal): each such person once, at their best score, best first."""
        faces = self.store.faces(person_id)
        if self.match_threshold is None or not faces:
            return []
        everyone = self.store.snapshot().view(None)
        threshold = self.match_threshold(max(1, everyone.n_persons - 1))
        found: dict[str, LookAlike] = {}
        for face, other in zip(faces, _best_others(everyone, person_id, [f.embedding for f in faces])):
            if other is not None and other.score >= threshold and (
                    other.person_id not in found or found[other.person_id].other.score < other.score):
                found[other.person_id] = LookAlike(f"face {face.id}", other, threshold)
        return sorted(found.values(), key=lambda a: -a.other.score)

    def _push(self, enroller: Enroller, person_id: str, name: str, groups: Sequence[str],
              jpegs: list[bytes]) -> str | None:
        """Send the photos to one cloud; on failure keep them pending. The error text, or None."""
        record = self.store.remote_records(enroller.name).get(person_id)
        remote_id = record.remote_id if record else None
        for index, jpeg in enumerate(jpegs):
            try:
                if remote_id is None:
                    remote_id = enroller.create_person(person_id, name, groups, jpeg)
                else:
                    enroller.add_face(remote_id, jpeg)
            except EdgeError as exc:
                for waiting in jpegs[index:]:
                    self.store.add_pending_upload(person_id, enroller.name, waiting)
                self.store.set_remote(person_id, enroller.name, remote_id, error=str(exc))
                log.warning("cloud %s: enrollment of %s left pending: %s", enroller.name, person_id, exc)
                return str(exc)
        self.store.set_remote(person_id, enroller.name, remote_id)
        return None

    def finish_pending(self, person_id: str) -> dict[str, str]:
        """Retry the cloud steps left pending for a person; backend -> error for those still failing."""
        person = self.store.require_person(person_id)
        errors: dict[str, str] = {}
        for enroller in self.enrollers:
            record = self.store.remote_records(enroller.name).get(person_id)
            if record is not None and record.state == "synced":
                continue
            uploads = self.store.pending_uploads(person_id, enroller.name)
            if not uploads:
                errors[enroller.name] = "no photo kept for this cloud: add one with 'edge people add'"
                continue
            error = None
            for upload_id, jpeg in uploads:
                self.store.drop_pending_upload(upload_id)
                error = self._push(enroller, person_id, person.name, person.groups, [jpeg])
                if error:
                    break
            if error:
                errors[enroller.name] = error
        return errors

    def remove(self, person_id: str, *, forget: bool = False) -> list[str]:
        """Remove a person here and in each cloud; returns the clouds whose deletion is still owed."""
        person = self.store.require_person(person_id)
        owed: list[tuple[str, str]] = []
        for enroller in self.enrollers:
            record = next((r for r in person.remote if r.backend == enroller.name), None)
            if record is None or record.remote_id is None:
                continue
            try:
                enroller.delete_person(record.remote_id)
            except EdgeError as exc:
                log.warning("cloud %s: deleting %s left pending: %s", enroller.name, person_id, exc)
                owed.append((enroller.name, record.remote_id))
        (self.store.forget if forget else self.store.remove)(person_id, owed)
        return [backend for backend, _ in owed]


def _best_others(view: GroupView, person_id: str, embeddings: Sequence[np.ndarray]) -> list[Hit | None]:
    """Per embedding, the best-scoring person other than ``person_id`` (None in an empty gallery)."""
    results = view.search(np.stack(embeddings), top_k=2)
    return [next((h for h in hits if h.person_id != person_id), None) for hits in results]


def _same_person_refusal(person_id: str, look_alikes: Sequence[LookAlike]) -> str:
    first = look_alikes[0]
    others = ", ".join(sorted({f"{a.other.person_id} ({a.other.name})" for a in look_alikes}))
    return (f"not enrolled as {person_id}: {first.source} matches {others} at "
            f"{first.other.score:.3f} >= the door's threshold {first.threshold:.3f}; one person must "
            f"have one id: add the photos to them with --same-as {first.other.person_id}, or, if this "
            "is really someone else, use --new-person --reason TEXT")
