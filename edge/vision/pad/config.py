"""Settings of the PAD stage (``vision.pad``): which methods, how their scores are fused."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from edge.config.base import Section
from edge.vision.pad.motion import RigidMotionSettings
from edge.vision.pad.registry import MethodSettings
from edge.vision.pad.texture import TextureSettings

# The default methods and thresholds, chosen on a tuning split only (edge/eval/pad_tuning.py;
# docs/pad.md "Held-out figures"): lowest tuning APCER at tuning BPCER <= 5%.
DEFAULT_RIGID_MOTION = 0.33
DEFAULT_TEXTURE = 0.75

Fusion = Literal["any", "mean", "all"]


class PadSettings(Section):
    enabled: bool = Field(
        True, description="Judge every track for presentation attacks (printed photos, screens) "
        "before the door grants it"
    )
    methods: list[MethodSettings] = Field(
        default_factory=lambda: [RigidMotionSettings(threshold=DEFAULT_RIGID_MOTION),  # type: ignore[arg-type]
                                 TextureSettings(threshold=DEFAULT_TEXTURE)],
        description="The PAD methods, each a table with its 'type' (rigid_motion, print_frame, "
        "texture, blink, specular, infrared, depth) and its own settings",
    )
    fusion: Fusion = Field(
        "any", description="How methods that decided are combined: 'any' = attack if any says "
        "attack (safest), 'mean' = mean margin over threshold, 'all' = attack only if all say so"
    )
    undecided: Literal["wait", "deny"] = Field(
        "wait", description="When no method can decide yet: 'wait' = no grant yet (the person "
        "moves, PAD decides on later frames), 'deny' = deny with presentation_attack"
    )
    min_frames: int = Field(3, ge=2, description="Frames of a track before PAD judges it")
    max_frames: int = Field(
        10, ge=2, description="Frames of a track kept for PAD (the newest); the verdict is final "
        "once a track has this many"
    )
    site_file: Path | None = Field(
        None, description="Operating point written by 'edge pad calibrate' (default: "
        "<service.state_dir>/pad-site.json, used when present)"
    )

    @model_validator(mode="after")
    def _frames_in_order(self) -> PadSettings:
        if self.max_frames < self.min_frames:
            raise ValueError("max_frames must be at least min_frames")
        names = [m.type for m in self.methods]
        if len(set(names)) != len(names):
            raise ValueError(f"a PAD method is listed twice: {names}")
        return self
