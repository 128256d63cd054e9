"""The YouTu backend's registry record."""

from __future__ import annotations

from edge.identify.base import Backend
from edge.identify.plugin import BackendPlugin, BuildContext
from edge.identify.youtu.config import YoutuBackendConfig


def build(config: YoutuBackendConfig, context: BuildContext) -> Backend:
    from edge.identify.youtu.backend import YoutuBackend

    return YoutuBackend(config)


def check(config: YoutuBackendConfig) -> str:
    """``getgroupids``: signed, changes nothing."""
    from edge.identify.youtu.client import YoutuClient

    with YoutuClient(config) as youtu:
        groups = youtu.getgroupids()
    return f"getgroupids answered: {len(groups)} groups"


PLUGIN = BackendPlugin(YoutuBackendConfig, build, check, endpoint=lambda config: config.base_url,
                       emulator="edge.cli.emulate_cmd:youtu")
