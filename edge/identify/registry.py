"""Every identification backend, in one place (like Frigate's detector registry).

Adding a backend is adding its folder (``edge/identify/<name>/`` with ``config.py`` and
``plugin.py``) and its record below; the settings' union of backend sections
(:data:`edge.identify.config.BackendConfig`), the factory, ``edge doctor`` and ``edge emulate``
all follow from this tuple.
"""

from __future__ import annotations

from typing import Any

from edge.identify.iai.plugin import PLUGIN as IAI
from edge.identify.local.plugin import PLUGIN as LOCAL
from edge.identify.plugin import BackendPlugin
from edge.identify.sensetime.plugin import PLUGIN as SENSETIME
from edge.identify.youtu.plugin import PLUGIN as YOUTU

PLUGINS: tuple[BackendPlugin[Any], ...] = (LOCAL, YOUTU, SENSETIME, IAI)


def plugin_for(backend_type: str) -> BackendPlugin[Any]:
    """The record of the backend ``identify.backends[].type`` names (KeyError if none)."""
    for plugin in PLUGINS:
        if plugin.type == backend_type:
            return plugin
    raise KeyError(backend_type)
