"""What every PAD method plug-in provides besides :class:`~edge.vision.pad.base.PadMethod`:
a settings section whose ``type`` (a ``Literal``) names the method, and a ``build()`` that turns
the settings into the method. :mod:`edge.vision.pad.registry` lists the plug-ins.
"""

from __future__ import annotations

from pydantic import Field

from edge.config.base import Section
from edge.vision.pad.base import PadMethod


class MethodSettings(Section):
    """Base of each method's settings; subclasses add ``type: Literal["name"] = "name"``."""

    threshold: float = Field(
        0.5, ge=0, le=1, description="Attack when the method's score reaches this (0..1)"
    )

    def build(self) -> PadMethod:
        raise NotImplementedError
