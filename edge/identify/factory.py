"""Backends from the settings, in failover order; each cloud backend's module imported only if used."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

from edge.config.settings import Settings
from edge.gallery.store import GalleryStore
from edge.identify.base import Backend, Enroller
from edge.identify.config import BackendConfig
from edge.identify.local.backend import LocalBackend
from edge.identify.local.config import LocalBackendConfig
from edge.identify.local.site import SiteCalibration

# type -> "module:class"; the class is built with its config section alone.
CLOUD_BACKENDS = {
    "youtu": "edge.identify.youtu.backend:YoutuBackend",
    "sensetime": "edge.identify.sensetime.backend:SenseTimeBackend",
    "iai": "edge.identify.iai.backend:IaiBackend",
}


def build_cloud_backend(config: BackendConfig) -> Any:
    """A cloud backend (both a Backend and an Enroller) for its config section."""
    module, attr = CLOUD_BACKENDS[config.type].split(":")
    return getattr(importlib.import_module(module), attr)(config)


def build_local_backend(
    settings: Settings, config: LocalBackendConfig, gallery: GalleryStore,
    site: Callable[[], SiteCalibration | None] = lambda: None,
) -> LocalBackend:
    """The whole gallery is searched: the access decision sorts "not allowed here" from "unknown"."""
    from edge.identify.local.calibration import load_calibration

    has_cloud = any(c.type != "local" for c in settings.identify.backends)
    return LocalBackend(
        gallery,
        load_calibration(config.calibration, settings.vision),
        None,
        max_age=settings.offline.max_age if has_cloud else None,
        site=site,
    )


def build_backends(settings: Settings, gallery: GalleryStore,
                   site: Callable[[], SiteCalibration | None] = lambda: None) -> list[Backend]:
    """Every configured backend, in the configured order (the local one reuses each face's embedding
    and uses the site calibration ``site`` gives, when there is one)."""
    backends: list[Backend] = []
    for config in settings.identify.backends:
        if isinstance(config, LocalBackendConfig):
            backends.append(build_local_backend(settings, config, gallery, site))
        else:
            backends.append(build_cloud_backend(config))
    return backends


def door_match_threshold(settings: Settings, gallery: GalleryStore) -> Callable[[int], float]:
    """people -> the local backend's cosine cut for the door's policy in a gallery of that size
    (the configured local backend's calibration, or the shipped one in a cloud-only setup; no
    site calibration, which only ever raises the door's cut): at this score or above, the door
    may take one person for another."""
    config = next((c for c in settings.identify.backends if isinstance(c, LocalBackendConfig)),
                  LocalBackendConfig())

    @functools.cache  # the calibration is read at the first call: commands that never ask need none
    def local() -> LocalBackend:
        return build_local_backend(settings, config, gallery)

    return lambda people: local().threshold(settings.access.max_false_accept, people).score


def site_door_cut(settings: Settings) -> Callable[[SiteCalibration | None, int], float]:
    """(site calibration in force, people) -> the local backend's cut for the door's policy: the
    cut the site calibrator judges its cohort by (see ``SiteCalibrator.door_cut``)."""
    from edge.identify.local.calibration import load_calibration
    from edge.identify.local.policy import policy_threshold

    config = next((c for c in settings.identify.backends if isinstance(c, LocalBackendConfig)),
                  LocalBackendConfig())
    shipped = load_calibration(config.calibration, settings.vision)
    policy = settings.access.max_false_accept
    return lambda site, people: policy_threshold(shipped, site, policy, people).score


def build_enrollers(settings: Settings) -> list[Enroller]:
    """The configured cloud backends, which hold people too (for ``edge people`` and sync)."""
    return [build_cloud_backend(c) for c in settings.identify.backends if c.type != "local"]
