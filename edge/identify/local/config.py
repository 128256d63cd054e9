"""Settings of the local backend (on-device descriptor + gallery)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from edge.config.base import Section


class LocalBackendConfig(Section):
    type: Literal["local"] = "local"
    calibration: Path | None = Field(
        None,
        description="Score-to-false-accept table of the descriptor; empty = the one shipped "
        "next to the model",
    )
