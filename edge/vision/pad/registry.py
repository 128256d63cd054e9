"""Every PAD method plug-in, in one place.

A method is one module with a settings class (a :class:`~edge.vision.pad.plugin.MethodSettings`
whose ``type`` is a ``Literal``) and the implementation its ``build()`` returns. Adding a method
is adding its settings class to ``MethodSettings`` below.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from edge.vision.pad.blink import BlinkSettings
from edge.vision.pad.depth import DepthSettings
from edge.vision.pad.edges import PrintFrameSettings
from edge.vision.pad.infrared import InfraredSettings
from edge.vision.pad.motion import RigidMotionSettings
from edge.vision.pad.specular import SpecularSettings
from edge.vision.pad.texture import TextureSettings

MethodSettings = Annotated[
    RigidMotionSettings
    | PrintFrameSettings
    | InfraredSettings
    | DepthSettings
    | TextureSettings
    | BlinkSettings
    | SpecularSettings,
    Field(discriminator="type"),
]
