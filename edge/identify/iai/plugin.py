"""The Tencent Cloud IAI backend's registry record."""

from __future__ import annotations

from edge.identify.base import Backend
from edge.identify.iai.config import IaiBackendConfig
from edge.identify.plugin import BackendPlugin, BuildContext


def build(config: IaiBackendConfig, context: BuildContext) -> Backend:
    from edge.identify.iai.backend import IaiBackend

    return IaiBackend(config)


def check(config: IaiBackendConfig) -> str:
    """``GetGroupList``: signed, changes nothing."""
    from edge.identify.iai.client import IaiApi

    answer = IaiApi(config).call("GetGroupList", {"Offset": 0, "Limit": 1})
    return f"GetGroupList answered: {answer.GroupNum} groups"


PLUGIN = BackendPlugin(IaiBackendConfig, build, check,
                       endpoint=lambda config: f"{config.scheme}://{config.endpoint}",
                       emulator="edge.cli.emulate_cmd:iai")
