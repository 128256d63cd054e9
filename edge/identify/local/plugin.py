"""The local backend's registry record: the on-device descriptor searched against the gallery."""

from __future__ import annotations

from edge.identify.base import Backend
from edge.identify.local.config import LocalBackendConfig
from edge.identify.plugin import BackendPlugin, BuildContext


def build(config: LocalBackendConfig, context: BuildContext) -> Backend:
    """The whole gallery is searched (the access decision sorts "not allowed here" from
    "unknown"); with a cloud configured, the gallery is its cache and ages (``offline.max_age``)."""
    from edge.identify.local.backend import LocalBackend
    from edge.identify.local.calibration import load_calibration

    if context.gallery is None:
        raise ValueError("the local backend needs the gallery")
    settings = context.settings
    return LocalBackend(
        context.gallery,
        load_calibration(config.calibration, settings.vision),
        None,
        max_age=settings.offline.max_age if settings.identify.has_cloud else None,
        site=context.site,
    )


def check(config: LocalBackendConfig) -> str:
    return "on-device (see models and gallery)"


PLUGIN = BackendPlugin(LocalBackendConfig, build, check, cloud=False)
