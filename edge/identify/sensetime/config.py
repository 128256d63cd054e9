"""Settings of the SenseTime v1 backend."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from edge.config.base import Section

# protocols.md section 2: the documented threshold -> error-rate table (0-1 scale).
SENSETIME_TABLE: list[tuple[float, float]] = [
    (0.4, 1e-1), (0.5, 1e-2), (0.6, 1e-3), (0.7, 1e-4), (0.8, 1e-5), (0.9, 1e-6),
]


class SenseTimeBackendConfig(Section):
    type: Literal["sensetime"] = "sensetime"
    base_url: str = "https://v1-api.visioncloudapi.com"
    api_id: str = ""
    api_secret: SecretStr | None = None
    api_secret_file: Path | None = None
    group_id: str = Field("", description="The door's group")
    timeout_s: float = Field(5.0, gt=0)
    score_table: list[tuple[float, float]] = Field(default_factory=lambda: list(SENSETIME_TABLE))
