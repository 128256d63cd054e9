"""Typed answers of the YouTu face API (the ``data`` object of each action).

Shared by the client (parsing) and the local server (building answers), so both sides agree on
field names. Unknown fields are ignored: the real service added fields over time.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Data(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class NewPerson(_Data):
    person_id: str
    face_id: str
    suc_group: int = Field(description="Groups the person was put in")
    suc_face: int = Field(description="Faces added (1)")
    group_ids: list[str] = Field(default_factory=list)
    session_id: str = ""


class DeletedPerson(_Data):
    person_id: str
    deleted: int
    session_id: str = ""


class AddedFaces(_Data):
    added: int
    face_ids: list[str] = Field(description="One per image; empty where the image failed")
    ret_codes: list[int] = Field(description="One code per image, 0 = added")
    session_id: str = ""


class DeletedFaces(_Data):
    deleted: int
    face_ids: list[str]
    session_id: str = ""


class PersonRef(_Data):
    person_id: str
    session_id: str = ""


class PersonInfo(_Data):
    person_id: str
    person_name: str = ""
    tag: str = ""
    face_ids: list[str] = Field(default_factory=list)
    group_ids: list[str] = Field(default_factory=list)
    session_id: str = ""


class GroupIds(_Data):
    group_ids: list[str]


class PersonIds(_Data):
    person_ids: list[str]


class FaceIds(_Data):
    face_ids: list[str]


class FaceInfo(_Data):
    face_id: str
    x: int
    y: int
    width: float
    height: float
    gender: int = 0
    age: int = 0
    expression: int = 0
    glass: bool = False
    pitch: int = 0
    yaw: int = 0
    roll: int = 0


class FaceInfoData(_Data):
    face_info: FaceInfo


class GroupChange(_Data):
    """addgroupids / delgroupids: ``count`` is ``added`` or ``deleted`` in the answer."""

    session_id: str = ""
    person_id: str
    group_ids: list[str] = Field(default_factory=list, description="The groups added or deleted")
    added: int | None = None
    deleted: int | None = None
    ret_codes: list[int] = Field(default_factory=list)


class Verification(_Data):
    confidence: float
    ismatch: bool
    session_id: str = ""


class Candidate(_Data):
    person_id: str
    face_id: str = ""
    confidence: float
    tag: str = ""


class Identified(_Data):
    session_id: str = ""
    candidates: list[Candidate]
    group_size: int = 0
    time_ms: int = 0


class FaceRect(_Data):
    x: int
    y: int
    width: int
    height: int


class FaceResult(_Data):
    face_rect: FaceRect
    candidates: list[Candidate]
    error_code: int = 0


class MultiIdentified(_Data):
    session_id: str = ""
    results: list[FaceResult]
    group_size: int = 0
    time_ms: int = 0


class Comparison(_Data):
    similarity: float
    session_id: str = ""
    fail_flag: int = Field(0, description="The image that failed: 1 imageA, 2 imageB, 0 none")
