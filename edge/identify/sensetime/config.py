"""Settings of the SenseTime v1 backend."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from edge.identify.plugin import BackendSection

# protocols.md section 2: the documented threshold -> error-rate table (0-1 scale).
SENSETIME_TABLE: list[tuple[float, float]] = [
    (0.4, 1e-1), (0.5, 1e-2), (0.6, 1e-3), (0.7, 1e-4), (0.8, 1e-5), (0.9, 1e-6),
]


class SenseTimeBackendConfig(BackendSection):
    type: Literal["sensetime"] = "sensetime"
    base_url: str = "https://v1-api.visioncloudapi.com"
    api_id: str = ""
    api_secret: SecretStr | None = None
    api_secret_file: Path | None = None
    group_id: str = Field("", description="The door's group: its 32-hex id or its name")
    timeout_s: float = Field(5.0, gt=0, description="Default deadline of one API call")
    score_table: list[tuple[float, float]] = Field(
        default_factory=lambda: list(SENSETIME_TABLE), description="(score 0-1, false-accept rate) points"
    )
    top: int = Field(2, ge=1, le=5, description="Candidates asked for per face (the API allows 1-5)")
    upload: Literal["frame", "crops"] = Field(
        "frame", description="Send the whole frame once, or one crop around each face"
    )
    min_iou: float = Field(0.3, gt=0, le=1, description="Overlap that matches a cloud face to ours")
    poll_interval_s: float = Field(0.2, gt=0, description="Polling of /info/task after a 202")
    train_after_enroll: bool = Field(True, description="Call /face/training after each enrollment")
