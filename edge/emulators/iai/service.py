"""What every action works with: the store, the vision core and the score mapping."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from edge.emulators.fetch import UrlFetcher
from edge.emulators.iai.api_error import ApiError
from edge.emulators.iai.images import MAX_URL_IMAGE_BYTES, image_param
from edge.emulators.iai.params import DEFAULT_MODEL_VERSION
from edge.emulators.iai.scoring import Scorer
from edge.emulators.iai.store import Group, Person, Store
from edge.vision.config import VisionSettings
from edge.vision.mesh import FaceMesh
from edge.vision.pad.texture import TextureMethod, TextureSettings
from edge.vision.types import Box, Face

QUALITY_FAILED = -1601  # RetCode of a face that failed QualityControl
NO_FACE = -1101  # RetCode of an image without a face (CreateFace)
DECODE_FAILED = -1102  # RetCode of an image that cannot be decoded or downloaded (CreateFace)
NOT_SIMILAR = -1604  # RetCode of a face below CreateFace's FaceMatchThreshold


class Analyzer(Protocol):
    def analyze(self, image: np.ndarray) -> list[Face]: ...


def rect(box: Box) -> dict[str, int]:
    return {"X": round(box.x), "Y": round(box.y), "Width": round(box.w), "Height": round(box.h)}


def unit(vectors: list[np.ndarray]) -> np.ndarray:
    """The L2-normalized mean: a person's fused descriptor (SearchPersons, VerifyPerson)."""
    mean = np.mean(np.stack(vectors), axis=0)
    return (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)


@dataclass
class Service:
    store: Store
    analyzer: Analyzer
    scorer: Scorer
    fetcher: UrlFetcher = field(default_factory=lambda: UrlFetcher(MAX_URL_IMAGE_BYTES))
    vision: VisionSettings = field(default_factory=VisionSettings)  # where the models below come from

    @cached_property
    def mesh(self) -> FaceMesh:
        """The face mesh (AnalyzeFace, AnalyzeDenseLandmarks), loaded on first use."""
        return FaceMesh.shipped(self.vision)

    @cached_property
    def texture(self) -> TextureMethod:
        """The texture PAD model at its calibrated threshold (DetectLiveFaceAccurate), on first use."""
        return TextureMethod(TextureSettings(), self.vision.models_dir, self.vision.threads)

    def image(self, params: dict[str, Any], name: str = "Image", url_name: str = "Url") -> np.ndarray:
        """The request's image: base64 ``name``, else fetched from ``url_name``."""
        return image_param(params, self.fetcher, name, url_name)

    def faces(self, image: np.ndarray, *, max_faces: int = 1, min_size: int = 34) -> list[Face]:
        """The described faces at least ``min_size`` wide, largest first; none is an error."""
        found = [
            face
            for face in self.analyzer.analyze(image)
            if face.embedding is not None and face.detection.box.w >= min_size
        ]
        if not found:
            raise ApiError("InvalidParameterValue.NoFaceInPhoto", "There is no face in the image.")
        return found[:max_faces]

    def largest_face(self, image: np.ndarray, quality_control: int = 0) -> Face:
        face = self.faces(image)[0]
        if quality_control and not face.quality.ok:
            raise ApiError("FailedOperation.FaceQualityNotQualified", "The face fails quality control.")
        return face

    def score(self, a: np.ndarray, b: np.ndarray, version: str) -> float:
        return self.scorer.score(float(np.dot(a, b)), version)

    def person(self, person_id: str) -> Person:
        person = self.store.person(person_id)
        if person is None:
            raise ApiError("InvalidParameterValue.PersonIdNotExist", f"Person {person_id} does not exist.")
        return person

    def version_of(self, person: Person) -> str:
        """A person's model version: that of their groups (all alike, CopyPerson checks)."""
        group = self.store.group(person.group_ids[0]) if person.group_ids else None
        return group.version if group else DEFAULT_MODEL_VERSION

    def person_ex_values(self, group: Group, person_id: str) -> list[str]:
        """A person's values of the group's custom fields, in field order ("" where unset)."""
        values = self.store.person_fields(group.group_id, person_id)
        return [values.get(index, "") for index in range(len(group.ex_descriptions))]

    def person_info(self, person: Person) -> dict[str, Any]:
        groups = [existing_group(self, g) for g in person.group_ids]
        return {
            "PersonName": person.name,
            "Gender": person.gender,
            "PersonGroupInfos": [
                {"GroupId": g.group_id, "PersonExDescriptions": self.person_ex_values(g, person.person_id)}
                for g in groups
            ],
        }


def existing_group(svc: Service, group_id: str) -> Group:
    group = svc.store.group(group_id)
    if group is None:
        raise ApiError("InvalidParameterValue.GroupIdNotExist", f"Group {group_id} does not exist.")
    return group
