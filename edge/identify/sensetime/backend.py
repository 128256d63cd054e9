"""The SenseTime v1 identification backend (and enroller).

Identification needs a detection first: the frame (or a crop around each face) goes to
``/face/detection``, the cloud's faces are paired one-to-one with ours by rectangle overlap, and
each paired ``face_id`` is identified against the door's group. Scores are 0-1; the door's 1:N
false-accept rate becomes a threshold through the documented table (0.6 -> 1e-3 per comparison,
...), like every backend's (:func:`edge.identify.thresholds.door_threshold`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import cv2
import numpy as np

from edge.config.secrets import resolve_secret
from edge.errors import BackendUnavailable, BadInput, ConfigError
from edge.identify.base import Candidate, Identification
from edge.identify.matching import assign_rectangles
from edge.identify.sensetime.client import SenseTimeClient
from edge.identify.sensetime.config import SENSETIME_TABLE, SenseTimeBackendConfig
from edge.identify.sensetime.results import DetectedFace
from edge.identify.thresholds import FarTable, Threshold, door_threshold, table_source
from edge.vision.types import Box, Face

SCALE = "0-1"
IDENTIFY_CUT = 0.6  # /face/identification returns only candidates above this
CROP_MARGIN = 0.5  # a crop adds this fraction of the face's size on every side
KEY = "identify.backends.sensetime"


class SenseTimeBackend:
    name = "sensetime"
    cloud = True

    def __init__(self, config: SenseTimeBackendConfig, client: SenseTimeClient | None = None) -> None:
        self.config = config
        self.table = FarTable.from_pairs(SCALE, config.score_table, f"{KEY}.score_table")
        self.calibration = table_source(config.score_table, SENSETIME_TABLE)
        if client is None:
            secret = resolve_secret(config.api_secret, config.api_secret_file, f"{KEY}.api_secret")
            if not config.api_id or not secret:
                raise ConfigError([f"{KEY}: api_id and api_secret (or api_secret_file) are required"])
            client = SenseTimeClient(config.api_id, secret, base_url=config.base_url,
                                     timeout_s=config.timeout_s, poll_interval_s=config.poll_interval_s)
        self.client = client
        self._group_ids: dict[str, str] = {}

    # ---- Backend ---------------------------------------------------------------------------

    def identify(
        self, frame: np.ndarray, faces: Sequence[Face], *, deadline_s: float
    ) -> list[Identification]:
        if not faces:
            return []
        end = time.monotonic() + deadline_s
        boxes = [face.detection.box for face in faces]
        found = self._detect_frame(frame, boxes, end) if self.config.upload == "frame" else [
            self._detect_crop(frame, box, end) for box in boxes]
        if not self.config.group_id:
            raise ConfigError([f"{KEY}.group_id: the door's group is not set"])
        # an unknown name goes as it is: the API answers INVALID_GROUP
        group_id = self._known_group(self.config.group_id) or self.config.group_id
        results = []
        for cloud_face in found:
            candidates: tuple[Candidate, ...] = ()
            if cloud_face is not None:
                answer = self.client.identify(cloud_face.face_id, group_id, top=self.config.top,
                                              timeout_s=_left(end))
                candidates = tuple(Candidate(c.person_id, c.confidence, c.name) for c in answer)
            results.append(Identification(candidates, self.name, SCALE))
        return results

    def threshold(self, max_false_accept: float, gallery_size: int) -> Threshold:
        """The documented table's cut for the door's 1:N rate over ``gallery_size`` people.

        Identification never returns a candidate at or below 0.6, so a laxer cut is reported as
        0.6 with the 1:N rate 0.6 really stands for.
        """
        return door_threshold(self.table, max_false_accept, gallery_size, min_score=IDENTIFY_CUT,
                              calibration=self.calibration)

    def _detect_frame(self, frame: np.ndarray, boxes: list[Box], end: float) -> list[DetectedFace | None]:
        detected = self.client.detect(_jpeg(frame), timeout_s=_left(end)).faces
        return match_faces(boxes, list(detected), self.config.min_iou)

    def _detect_crop(self, frame: np.ndarray, box: Box, end: float) -> DetectedFace | None:
        height, width = frame.shape[:2]
        x0 = max(0, int(box.x - CROP_MARGIN * box.w))
        y0 = max(0, int(box.y - CROP_MARGIN * box.h))
        x1 = min(width, int(box.x + box.w * (1 + CROP_MARGIN)) + 1)
        y1 = min(height, int(box.y + box.h * (1 + CROP_MARGIN)) + 1)
        detected = self.client.detect(_jpeg(frame[y0:y1, x0:x1]), timeout_s=_left(end)).faces
        in_frame = [DetectedFace(f.face_id, Box(f.box.x + x0, f.box.y + y0, f.box.w, f.box.h))
                    for f in detected]
        return match_faces([box], in_frame, self.config.min_iou)[0]

    # ---- Enroller --------------------------------------------------------------------------

    def create_person(self, person_id: str, name: str, groups: Sequence[str], jpeg: bytes) -> str:
        """Person with the image's largest face, in ``groups`` (names or ids, created if missing).

        The appliance's person id travels as the person's ``user_data``.
        """
        end = time.monotonic() + self.config.timeout_s
        face_id = self._enrollment_face(jpeg, end)
        cloud_id = self.client.person_create(name, [face_id], user_data=person_id)
        group_ids = [self._known_group(group) or self._create_group(group) for group in groups]
        for group_id in group_ids:
            self.client.group_add_person(group_id, [cloud_id])
        self._train(person_ids=[cloud_id], group_ids=group_ids)
        return cloud_id

    def add_face(self, person_id: str, jpeg: bytes) -> str:
        """Add the image's largest face to the person (the backend's person id)."""
        face_id = self._enrollment_face(jpeg, time.monotonic() + self.config.timeout_s)
        self.client.person_add_face(person_id, [face_id])
        self._train(person_ids=[person_id], group_ids=[])
        return face_id

    def delete_person(self, person_id: str) -> None:
        self.client.person_delete(person_id)

    def list_persons(self, groups: Sequence[str]) -> list[str]:
        ids: dict[str, None] = {}
        for group in groups:
            group_id = self._known_group(group)
            if group_id is not None:
                ids.update(dict.fromkeys(self.client.info_group(group_id).person_ids))
        return list(ids)

    def _enrollment_face(self, jpeg: bytes, end: float) -> str:
        faces = self.client.detect(jpeg, timeout_s=_left(end)).faces
        if not faces:
            raise BadInput("no face found in the enrollment image")
        return max(faces, key=lambda f: f.box.w * f.box.h).face_id

    def _train(self, *, person_ids: list[str], group_ids: list[str]) -> None:
        if self.config.train_after_enroll:
            self.client.train(person_ids=person_ids, group_ids=group_ids)

    def _known_group(self, name_or_id: str) -> str | None:
        """The id of the group with this id or name, if the cloud holds one."""
        if name_or_id not in self._group_ids:
            for group in self.client.list_groups():
                self._group_ids[group.name] = self._group_ids[group.group_id] = group.group_id
        return self._group_ids.get(name_or_id)

    def _create_group(self, name: str) -> str:
        self._group_ids[name] = self.client.group_create(name)
        return self._group_ids[name]


def match_faces(ours: list[Box], theirs: list[DetectedFace], min_iou: float) -> list[DetectedFace | None]:
    """For each of our boxes the cloud face paired with it (:mod:`edge.identify.matching`), or None."""
    assigned = assign_rectangles(ours, [face.box for face in theirs], min_iou)
    return [theirs[r] if r is not None else None for r in assigned]


def _jpeg(image: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise BadInput("cannot encode the frame as JPEG")
    return buffer.tobytes()


def _left(end: float) -> float:
    """Seconds left before ``end``; the backend cannot answer once none are."""
    left = end - time.monotonic()
    if left <= 0:
        raise BackendUnavailable("sensetime: deadline passed")
    return left
