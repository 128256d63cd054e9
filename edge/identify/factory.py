"""Backends from the settings, in failover order, each built by its registry record
(:mod:`edge.identify.registry`); a cloud backend's client libraries are imported only if used."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from edge.config.settings import Settings
from edge.gallery.store import GalleryStore
from edge.identify.base import Backend, Enroller
from edge.identify.config import BackendConfig
from edge.identify.local.site import SiteCalibration
from edge.identify.plugin import BuildContext
from edge.identify.registry import LOCAL, plugin_for


def build_backend(config: BackendConfig, context: BuildContext) -> Any:
    """The backend of one ``identify.backends`` section (a cloud one is an Enroller too)."""
    return plugin_for(config.type).build(config, context)


def build_backends(settings: Settings, gallery: GalleryStore,
                   site: Callable[[], SiteCalibration | None] = lambda: None) -> list[Backend]:
    """Every configured backend, in the configured order (the local one reuses each face's embedding
    and uses the site calibration ``site`` gives, when there is one)."""
    context = BuildContext(settings, gallery, site)
    return [build_backend(config, context) for config in settings.identify.backends]


def door_match_threshold(settings: Settings, gallery: GalleryStore) -> Callable[[int], float]:
    """people -> the local backend's cosine cut for the door's policy in a gallery of that size
    (the configured local backend's calibration, or the shipped one in a cloud-only setup; no
    site calibration, which only ever raises the door's cut): at this score or above, the door
    may take one person for another."""

    @functools.cache  # the calibration is read at the first call: commands that never ask need none
    def local() -> Backend:
        return door_local_backend(settings, gallery)

    return lambda people: local().threshold(settings.access.max_false_accept, people).score


def door_local_backend(settings: Settings, gallery: GalleryStore) -> Backend:
    """The configured local backend, or one on the shipped calibration in a cloud-only setup
    (no site calibration, which only ever raises the cut)."""
    return LOCAL.build(settings.identify.local, BuildContext(settings, gallery))


def site_door_cut(settings: Settings) -> Callable[[SiteCalibration | None, int], float]:
    """(site calibration in force, people) -> the local backend's cut for the door's policy: the
    cut the site calibrator judges its cohort by (see ``SiteCalibrator.door_cut``)."""
    from edge.identify.local.calibration import load_calibration
    from edge.identify.local.policy import policy_threshold

    shipped = load_calibration(settings.identify.local.calibration, settings.vision)
    policy = settings.access.max_false_accept
    return lambda site, people: policy_threshold(shipped, site, policy, people).score


def build_enrollers(settings: Settings) -> list[Enroller]:
    """The configured cloud backends, which hold people too (for ``edge people`` and sync)."""
    context = BuildContext(settings)
    return [build_backend(c, context) for c in settings.identify.backends if plugin_for(c.type).cloud]
