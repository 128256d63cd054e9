"""Settings of identification: the backend chain, in failover order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

from edge.config.base import Section
from edge.identify.local.config import LocalBackendConfig
from edge.identify.plugin import BackendSection
from edge.identify.registry import PLUGINS, plugin_for

if TYPE_CHECKING:  # a section of any registered backend
    BackendConfig = BackendSection
else:  # the registry's sections, told apart by ``type``
    BackendConfig = Annotated[Union[tuple(p.settings for p in PLUGINS)], Field(discriminator="type")]  # noqa: UP007


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
    cloud_reask_s: float = Field(
        3.0, ge=0,
        description="A cloud first in the chain is asked once per track; again after this long (with "
                    "the track's best frame since), or when the track's face stops matching the one "
                    "it was asked about. 0 = only then",
    )

    @property
    def has_cloud(self) -> bool:
        """Whether a cloud backend is configured (the local gallery is then its cache)."""
        return any(plugin_for(config.type).cloud for config in self.backends)

    @property
    def local(self) -> LocalBackendConfig:
        """The local backend's section (its defaults when only clouds are configured)."""
        return next((c for c in self.backends if isinstance(c, LocalBackendConfig)), LocalBackendConfig())
