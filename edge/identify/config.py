"""Settings of identification: the backend chain, in failover order."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from edge.config.base import Section
from edge.identify.iai.config import IaiBackendConfig
from edge.identify.local.config import LocalBackendConfig
from edge.identify.sensetime.config import SenseTimeBackendConfig
from edge.identify.youtu.config import YoutuBackendConfig

BackendConfig = Annotated[
    LocalBackendConfig | YoutuBackendConfig | SenseTimeBackendConfig | IaiBackendConfig,
    Field(discriminator="type"),
]


def _local_only() -> list[BackendConfig]:
    return [LocalBackendConfig()]


class IdentifySettings(Section):
    backends: list[BackendConfig] = Field(
        default_factory=_local_only,
        description="Backends in failover order, e.g. youtu then local",
    )
    deadline_ms: int = Field(800, gt=0, description="Deadline of one cloud call")
    breaker_failures: int = Field(3, ge=1, description="Failures that open a backend's circuit")
    breaker_reset_s: float = Field(30.0, gt=0, description="Wait before probing an open circuit")
