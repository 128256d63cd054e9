"""Settings of the Tencent Cloud face API (IAI 2020-03-03) backend."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from edge.identify.plugin import BackendSection


class IaiBackendConfig(BackendSection):
    type: Literal["iai"] = "iai"
    endpoint: str = Field("iai.tencentcloudapi.com", description="host[:port]")
    scheme: Literal["https", "http"] = "https"
    region: str = "ap-guangzhou"
    secret_id: str = ""
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None
    group_ids: list[str] = Field(default_factory=list, description="The door's groups")
    face_model_version: Literal["2.0", "3.0"] = "3.0"
    returns_by_group: bool = Field(False, description="Use the *ReturnsByGroup actions")
    search_persons: bool = Field(True, description="SearchPersons (else SearchFaces)")
    timeout_s: float = Field(5.0, gt=0)
    max_faces: int = Field(10, ge=1, le=10, description="MaxFaceNum: faces searched per frame")
    max_candidates: int = Field(
        5, ge=1, le=10, description="MaxPersonNum (MaxPersonNumPerGroup with returns_by_group)"
    )
    min_face_size: int = Field(34, ge=34, description="MinFaceSize: smaller faces are not searched")
    quality_control: int = Field(
        0, ge=0, le=4, description="QualityControl 0-4 (0: the appliance's own quality gates decide)"
    )
    min_iou: float = Field(
        0.3, gt=0, le=1, description="A result's FaceRect must overlap a detected face this much"
    )
    jpeg_quality: int = Field(90, ge=50, le=100, description="JPEG quality of the uploaded frame")
