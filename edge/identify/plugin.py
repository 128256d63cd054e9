"""What the registry knows of one identification backend (:mod:`edge.identify.registry`).

A backend is a folder ``edge/identify/<name>/`` with its settings section (``config.py``, whose
``type`` is a ``Literal`` naming it), its implementation, and a ``plugin.py`` holding one
:class:`BackendPlugin`: how to build it, how ``edge doctor`` checks it, where it lives, and
which ``edge emulate`` command serves a local copy of its API. The factory, the settings'
union, the doctor and the emulate CLI read the registry, never the backend classes.
Implementations are imported inside the callables, so a backend's client libraries load only
when it is configured.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from edge.config.base import Section

if TYPE_CHECKING:
    from edge.config.settings import Settings
    from edge.gallery.store import GalleryStore
    from edge.identify.base import Backend
    from edge.identify.local.site import SiteCalibration


@dataclass(frozen=True)
class BuildContext:
    """What a backend may need besides its own section: the whole settings, the local gallery
    (None where a command has none open, e.g. ``config check``) and the site calibration now."""

    settings: Settings
    gallery: GalleryStore | None = None
    site: Callable[[], SiteCalibration | None] = lambda: None


class BackendSection(Section):
    """Base of every backend's settings section; each subclass narrows ``type`` to a ``Literal``
    with its name as the default."""

    type: str


C = TypeVar("C", bound=BackendSection)


@dataclass(frozen=True)
class BackendPlugin(Generic[C]):
    """One backend. ``cloud``: it is reached over the network and holds people (its built
    object is also an :class:`~edge.identify.base.Enroller`). ``check`` makes a harmless call
    and says what answered (raising the backend's errors); ``endpoint`` is the URL it talks to
    (for the doctor's hints and clock check); ``emulator`` names the ``edge emulate`` click
    command as ``"module:attribute"``."""

    settings: type[C]
    build: Callable[[C, BuildContext], Backend]
    check: Callable[[C], str]
    cloud: bool = True
    endpoint: Callable[[C], str] | None = None
    emulator: str | None = None

    @property
    def type(self) -> str:
        """The ``type`` key that selects this backend in ``identify.backends``."""
        return str(self.settings.model_fields["type"].default)
