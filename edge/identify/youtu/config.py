"""Settings of the Tencent YouTu (legacy v1) backend."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from edge.identify.plugin import BackendSection

# protocols.md section 1: the successor API's 1:1 table for model 2.0, the closest documented
# reference for YouTu's 0-100 scores.
YOUTU_DEFAULT_TABLE: list[tuple[float, float]] = [(70.0, 1e-3), (80.0, 1e-4), (90.0, 1e-5)]


class YoutuBackendConfig(BackendSection):
    type: Literal["youtu"] = "youtu"
    base_url: str = Field(
        "https://recognition.image.myqcloud.com",
        description="API host; service.image.myqcloud.com also needs 'bucket'",
    )
    appid: str = ""
    bucket: str = ""
    secret_id: str = ""
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None
    group_ids: list[str] = Field(default_factory=list, description="The door's groups")
    timeout_s: float = Field(5.0, gt=0)
    retries: int = Field(2, ge=0, le=10, description="Retries of transient errors (107, 108, 213)")
    backoff_s: float = Field(0.2, ge=0, description="First retry delay; doubles on each retry")
    signature_ttl_s: int = Field(86400, gt=60, le=90 * 86400)
    score_table: list[tuple[float, float]] = Field(
        default_factory=lambda: list(YOUTU_DEFAULT_TABLE),
        description="(score 0-100, false-accept rate) points",
    )
    min_iou: float = Field(
        0.3, gt=0, le=1, description="A returned face_rect must overlap a detected face this much"
    )
