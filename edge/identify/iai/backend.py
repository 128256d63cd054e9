"""The Tencent Cloud face API (IAI 2020-03-03) as an identification backend and enroller."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from edge.errors import BadInput
from edge.identify.base import Identification
from edge.identify.iai.client import IaiApi
from edge.identify.iai.config import IaiBackendConfig
from edge.identify.iai.errors import EmptyGallery, GroupExists, ImageRejected, NoFace, PersonNotFound
from edge.identify.iai.results import BACKEND_NAME, match_to_faces, search_results
from edge.identify.iai.tables import search_threshold, verify_threshold
from edge.identify.thresholds import Threshold
from edge.vision.types import Face

MAX_LONG_SIDE = 4000  # px, the service's limit for an uploaded image
PAGE_SIZE = 1000  # GetPersonList's largest Limit
RET_NO_FACE = -1101  # CreateFace's RetCode for an image without a face (-1601 quality, -1604 not alike)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _encode_frame(frame: np.ndarray, quality: int) -> tuple[str, float]:
    """The frame as base64 JPEG, shrunk to the service's size limit; and the shrink factor."""
    scale = min(1.0, MAX_LONG_SIDE / max(frame.shape[:2]))
    if scale < 1.0:
        frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise BadInput("iai: the frame could not be encoded as JPEG")
    return _b64(jpeg.tobytes()), scale


class IaiBackend:
    """Searches the door's groups with the frame (several faces per call) and manages persons."""

    name = BACKEND_NAME
    cloud = True

    def __init__(self, config: IaiBackendConfig, api: IaiApi | None = None) -> None:
        self.config = config
        self._api = api or IaiApi(config)
        self._known_groups: set[str] = set()

    # -- identification ------------------------------------------------------------------------

    @property
    def _search_action(self) -> str:
        action = "SearchPersons" if self.config.search_persons else "SearchFaces"
        return action + ("ReturnsByGroup" if self.config.returns_by_group else "")

    def identify(
        self, frame: np.ndarray, faces: Sequence[Face], *, deadline_s: float
    ) -> list[Identification]:
        if not faces:
            return []
        if not self.config.group_ids:
            raise BadInput("identify.backends.iai.group_ids: no group to search")
        image, scale = _encode_frame(frame, self.config.jpeg_quality)
        limit_key = "MaxPersonNumPerGroup" if self.config.returns_by_group else "MaxPersonNum"
        params: dict[str, Any] = {
            "GroupIds": self.config.group_ids,
            "Image": image,
            "MaxFaceNum": min(self.config.max_faces, len(faces)),
            "MinFaceSize": self.config.min_face_size,
            limit_key: self.config.max_candidates,
            "QualityControl": self.config.quality_control,
            "NeedPersonInfo": 1,
        }
        try:
            response = self._api.call(self._search_action, params, timeout_s=deadline_s)
        except (NoFace, EmptyGallery):
            return match_to_faces(faces, [], self.config.min_iou)
        results = search_results(response, by_group=self.config.returns_by_group, scale=scale)
        return match_to_faces(faces, results, self.config.min_iou)

    def threshold(self, max_false_accept: float, gallery_size: int) -> Threshold:
        """The 1:N cut for a gallery of ``gallery_size`` faces (persons with SearchPersons)."""
        return search_threshold(self.config.face_model_version, gallery_size, max_false_accept)

    def verify_threshold(self, max_false_accept: float) -> Threshold:
        return verify_threshold(self.config.face_model_version, max_false_accept)

    def verify(self, person_id: str, jpeg: bytes, *, deadline_s: float | None = None) -> float:
        """1:1 score of the image's face against the person (VerifyPerson, or VerifyFace)."""
        action = "VerifyPerson" if self.config.search_persons else "VerifyFace"
        params = {"PersonId": person_id, "Image": _b64(jpeg), "QualityControl": self.config.quality_control}
        return float(self._api.call(action, params, timeout_s=deadline_s).Score)

    def gallery_size(self) -> int:
        """Faces (persons, with SearchPersons) in the door's groups: what :meth:`threshold` needs."""
        total = 0
        for group in self.config.group_ids:
            page = self._api.call("GetPersonList", {"GroupId": group, "Offset": 0, "Limit": 1})
            total += int((page.PersonNum if self.config.search_persons else page.FaceNum) or 0)
        return total

    # -- enrollment (the Enroller protocol) ----------------------------------------------------

    def ensure_group(self, group_id: str) -> None:
        """Create the group with the configured model version unless it exists."""
        if group_id in self._known_groups:
            return
        params = {
            "GroupId": group_id,
            "GroupName": group_id,
            "FaceModelVersion": self.config.face_model_version,
        }
        with contextlib.suppress(GroupExists):
            self._api.call("CreateGroup", params)
        self._known_groups.add(group_id)

    def create_person(self, person_id: str, name: str, groups: Sequence[str], jpeg: bytes) -> str:
        if not groups:
            raise BadInput(f"person {person_id}: at least one group is needed")
        for group in groups:
            self.ensure_group(group)
        self._api.call(
            "CreatePerson",
            {
                "GroupId": groups[0],
                "PersonId": person_id,
                "PersonName": name,
                "Image": _b64(jpeg),
                "QualityControl": self.config.quality_control,
            },
        )
        if len(groups) > 1:
            self._api.call("CopyPerson", {"PersonId": person_id, "GroupIds": list(groups[1:])})
        return person_id

    def add_face(self, person_id: str, jpeg: bytes) -> str:
        params = {
            "PersonId": person_id,
            "Images": [_b64(jpeg)],
            "QualityControl": self.config.quality_control,
        }
        response = self._api.call("CreateFace", params)
        if not response.SucFaceIds:
            code = (response.RetCode or ["CreateFace"])[0]
            kind = NoFace if code == RET_NO_FACE else ImageRejected
            raise kind(code, f"person {person_id}: the face was not added")
        return str(response.SucFaceIds[0])

    def delete_person(self, person_id: str) -> None:
        """Delete the person; a person already gone is not an error (revocation is idempotent)."""
        with contextlib.suppress(PersonNotFound):
            self._api.call("DeletePerson", {"PersonId": person_id})

    def list_persons(self, groups: Sequence[str], *, page_size: int = PAGE_SIZE) -> list[str]:
        persons: set[str] = set()
        for group in groups:
            offset = 0
            while True:
                params = {"GroupId": group, "Offset": offset, "Limit": page_size}
                page = self._api.call("GetPersonList", params)
                infos = page.PersonInfos or []
                persons.update(str(info.PersonId) for info in infos)
                if len(infos) < page_size:
                    break
                offset += len(infos)
        return sorted(persons)
