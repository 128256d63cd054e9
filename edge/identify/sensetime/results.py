"""Typed answers of the SenseTime v1 API, read tolerantly from its JSON (see :mod:`.quirks`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from edge.identify.sensetime.quirks import as_float, as_int, id_list, points, rect_box
from edge.vision.types import Box

Json = Mapping[str, Any]


@dataclass(frozen=True)
class DetectedFace:
    face_id: str
    box: Box
    eye_dist: float = 0.0
    landmarks: tuple[tuple[float, float], ...] = ()

    @classmethod
    def from_json(cls, data: Json) -> DetectedFace:
        return cls(
            face_id=str(data["face_id"]),
            box=rect_box(data.get("rect") or {}),
            eye_dist=as_float(data.get("eye_dist")),
            landmarks=tuple(points(data.get("landmarks21"))),
        )


@dataclass(frozen=True)
class ImageInfo:
    """``/face/detection`` and ``/info/image`` (faces only when asked for)."""

    image_id: str
    width: int
    height: int
    faces: tuple[DetectedFace, ...] = ()

    @classmethod
    def from_json(cls, data: Json) -> ImageInfo:
        return cls(
            image_id=str(data.get("image_id", "")),
            width=as_int(data.get("width")),
            height=as_int(data.get("height")),
            faces=tuple(DetectedFace.from_json(f) for f in data.get("faces") or []),
        )


@dataclass(frozen=True)
class FaceInfo:
    """``/info/face``: the face, its person (if any) and, when asked for, its image."""

    face: DetectedFace
    image_id: str
    person_id: str | None = None
    image: ImageInfo | None = None

    @classmethod
    def from_json(cls, data: Json) -> FaceInfo:
        image = data.get("image")
        return cls(
            face=DetectedFace.from_json(data),
            image_id=str(data.get("image_id", "")),
            person_id=data.get("person_id") or None,
            image=ImageInfo.from_json(image) if isinstance(image, Mapping) else None,
        )


@dataclass(frozen=True)
class Candidate:
    """An identification candidate: a person and the 0-1 confidence."""

    person_id: str
    confidence: float
    name: str | None = None

    @classmethod
    def from_json(cls, data: Json) -> Candidate:
        return cls(str(data["person_id"]), as_float(data.get("confidence")), data.get("name"))


@dataclass(frozen=True)
class SearchHit:
    face_id: str
    confidence: float

    @classmethod
    def from_json(cls, data: Json) -> SearchHit:
        return cls(str(data["face_id"]), as_float(data.get("confidence")))


@dataclass(frozen=True)
class Verification:
    confidence: float
    same_person: bool

    @classmethod
    def from_json(cls, data: Json) -> Verification:
        same = data.get("same_person")
        confidence = as_float(data.get("confidence"))
        if isinstance(same, str):
            same = same.strip().lower() == "true"
        return cls(confidence, bool(same) if same is not None else confidence > 0.6)


@dataclass(frozen=True)
class Person:
    person_id: str
    name: str
    user_data: str | None = None
    face_ids: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Json) -> Person:
        return cls(str(data["person_id"]), str(data.get("name", "")), data.get("user_data"),
                   tuple(id_list(data.get("face_ids"))))


@dataclass(frozen=True)
class Group:
    group_id: str
    name: str
    user_data: str | None = None
    person_ids: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Json) -> Group:
        persons = data.get("persons")
        ids = [str(p["person_id"]) for p in persons] if isinstance(persons, list) else id_list(
            data.get("person_ids"))
        return cls(str(data["group_id"]), str(data.get("name", "")), data.get("user_data"), tuple(ids))


@dataclass(frozen=True)
class Faceset:
    faceset_id: str
    name: str
    user_data: str | None = None
    face_ids: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Json) -> Faceset:
        return cls(str(data["faceset_id"]), str(data.get("name", "")), data.get("user_data"),
                   tuple(id_list(data.get("face_ids"))))


@dataclass(frozen=True)
class ApiInfo:
    """``/info/api``: the account's rate limit and its quotas with their usage."""

    api_id: str
    rate_limit: str
    quota: dict[str, int] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Json) -> ApiInfo:
        def counts(value: Any) -> dict[str, int]:
            return {str(k): as_int(v) for k, v in value.items()} if isinstance(value, Mapping) else {}

        return cls(str(data.get("api_id", "")), str(data.get("rate_limit", "")),
                   counts(data.get("quota")), counts(data.get("usage")))


@dataclass(frozen=True)
class TaskInfo:
    """``/info/task``: ``task_status`` pending / processing / done / failed; ``result`` when done."""

    task_id: str
    task_status: str
    result: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, data: Json) -> TaskInfo:
        result = data.get("result")
        return cls(str(data.get("task_id", "")), str(data.get("task_status", "pending")).lower(),
                   dict(result) if isinstance(result, Mapping) else None)
