"""The YouTu backend: the door's faces identified by the cloud (or the local emulator).

Several faces: one ``multidentify`` on the frame, each returned ``face_rect`` paired with at
most one detected face by overlap (:mod:`edge.identify.matching`). One face: ``identify`` on a
crop around it (a smaller upload). Scores are YouTu's 0-100; the threshold for the door's 1:N
false-accept rate comes from the configured table (default: the stand-in documented in
protocols.md) through :func:`edge.identify.thresholds.door_threshold`, like every backend's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import cv2
import numpy as np

from edge.errors import BackendUnavailable, BadImage
from edge.identify.base import Candidate, Identification
from edge.identify.matching import assign_rectangles
from edge.identify.thresholds import FarTable, Threshold, door_threshold, table_source
from edge.identify.youtu import models
from edge.identify.youtu.client import YoutuClient
from edge.identify.youtu.config import YOUTU_DEFAULT_TABLE, YoutuBackendConfig
from edge.identify.youtu.errors import YoutuNoFace, YoutuNotFound
from edge.vision.types import Box, Face

SCALE = "0-100"
MAX_UPLOAD_BYTES = 1_400_000  # under the 1.5 MB body limit, with room for the other fields
JPEG_QUALITY = 90
CROP_MARGIN = 0.5  # of the face's size, on every side, for identify on one face


def encode_jpeg(image: np.ndarray) -> tuple[bytes, float]:
    """JPEG bytes under the upload limit and the scale applied to the image (1.0 = unscaled)."""
    scale = 1.0
    while True:
        resized = image if scale == 1.0 else cv2.resize(image, None, fx=scale, fy=scale)
        ok, buffer = cv2.imencode(".jpg", resized, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise BadImage("the frame cannot be encoded as JPEG")
        if buffer.size <= MAX_UPLOAD_BYTES:
            return buffer.tobytes(), scale
        scale *= 0.75


def _crop(frame: np.ndarray, box: Box) -> np.ndarray:
    height, width = frame.shape[:2]
    margin_x, margin_y = box.w * CROP_MARGIN, box.h * CROP_MARGIN
    x0, y0 = max(0, int(box.x - margin_x)), max(0, int(box.y - margin_y))
    x1, y1 = min(width, int(box.x + box.w + margin_x)), min(height, int(box.y + box.h + margin_y))
    return frame[y0:y1, x0:x1]


class YoutuBackend:
    name = "youtu"
    cloud = True

    def __init__(self, config: YoutuBackendConfig, client: YoutuClient | None = None) -> None:
        self.config = config
        self.client = client or YoutuClient(config)
        self.table = FarTable.from_pairs(SCALE, config.score_table, key="youtu.score_table")
        self.calibration = table_source(config.score_table, YOUTU_DEFAULT_TABLE)
        self.groups = list(config.group_ids)

    # -- Backend ---------------------------------------------------------------------------------

    def identify(
        self, frame: np.ndarray, faces: Sequence[Face], *, deadline_s: float
    ) -> list[Identification]:
        if not faces:
            return []
        if not self.groups:
            raise BackendUnavailable("youtu: no group_ids configured for this door")
        try:
            if len(faces) == 1:
                jpeg, _ = encode_jpeg(_crop(frame, faces[0].detection.box))
                found = self.client.identify(self.groups, jpeg, timeout=deadline_s)
                return [self._identification(found.candidates)]
            jpeg, scale = encode_jpeg(frame)
            answer = self.client.multidentify(self.groups, jpeg, timeout=deadline_s)
        except YoutuNoFace:  # the cloud's detector saw none of our faces
            return [self._identification([]) for _ in faces]
        return self._match(faces, answer, scale)

    def _match(
        self, faces: Sequence[Face], answer: models.MultiIdentified, scale: float
    ) -> list[Identification]:
        """Each detected face gets the candidates of the one returned face_rect paired with it."""
        rects = [
            Box(
                r.face_rect.x / scale,
                r.face_rect.y / scale,
                r.face_rect.width / scale,
                r.face_rect.height / scale,
            )
            for r in answer.results
        ]
        assigned = assign_rectangles([face.detection.box for face in faces], rects, self.config.min_iou)
        return [self._identification(answer.results[r].candidates if r is not None else [])
                for r in assigned]

    def _identification(self, candidates: Sequence[models.Candidate]) -> Identification:
        ranked = sorted(candidates, key=lambda c: c.confidence, reverse=True)
        return Identification(tuple(Candidate(c.person_id, c.confidence) for c in ranked), self.name, SCALE)

    def verify(self, person_id: str, jpeg: bytes, *, deadline_s: float) -> Candidate:
        """1:1: how well the photo matches the person (compare with ``threshold(far, 1)``)."""
        answer = self.client.verify(person_id, jpeg, timeout=deadline_s)
        return Candidate(person_id, answer.confidence)

    def threshold(self, max_false_accept: float, gallery_size: int) -> Threshold:
        """The score for the door's 1:N rate over ``gallery_size`` people, and the rate it stands for."""
        return door_threshold(self.table, max_false_accept, gallery_size, calibration=self.calibration)

    # -- Enroller --------------------------------------------------------------------------------

    def create_person(self, person_id: str, name: str, groups: Sequence[str], jpeg: bytes) -> str:
        return self.client.newperson(person_id, groups, jpeg, person_name=name).person_id

    def add_face(self, person_id: str, jpeg: bytes) -> str:
        return self.client.addface(person_id, [jpeg]).face_ids[0]

    def delete_person(self, person_id: str) -> None:
        with contextlib.suppress(YoutuNotFound):  # already gone: deleting is idempotent
            self.client.delperson(person_id)

    def list_persons(self, groups: Sequence[str]) -> list[str]:
        persons: dict[str, None] = {}
        for group in groups:
            try:
                persons.update(dict.fromkeys(self.client.getpersonids(group)))
            except YoutuNotFound:  # an empty group does not exist
                continue
        return list(persons)
