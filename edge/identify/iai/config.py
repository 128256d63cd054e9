"""Settings of the Tencent Cloud face API (IAI 2020-03-03) backend."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from edge.config.base import Section


class IaiBackendConfig(Section):
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
