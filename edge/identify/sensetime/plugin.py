"""The SenseTime backend's registry record."""

from __future__ import annotations

from edge.identify.base import Backend
from edge.identify.plugin import BackendPlugin, BuildContext
from edge.identify.sensetime.config import SenseTimeBackendConfig


def build(config: SenseTimeBackendConfig, context: BuildContext) -> Backend:
    from edge.identify.sensetime.backend import SenseTimeBackend

    return SenseTimeBackend(config)


def check(config: SenseTimeBackendConfig) -> str:
    """``/info/api``: the account's rate limit and quotas (the backend resolves the credentials)."""
    from edge.identify.sensetime.backend import SenseTimeBackend

    with SenseTimeBackend(config).client as client:
        info = client.info_api()
    return f"/info/api answered: rate limit {info.rate_limit}"


PLUGIN = BackendPlugin(SenseTimeBackendConfig, build, check, endpoint=lambda config: config.base_url,
                       emulator="edge.cli.emulate_cmd:sensetime")
