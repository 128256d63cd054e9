"""The door's access policy: one false-accept rate for every backend."""

from __future__ import annotations

from pydantic import Field

from edge.config.base import Section


class AccessSettings(Section):
    max_false_accept: float = Field(
        1e-4, gt=0, lt=1, description="Accepted risk that a stranger is taken for an enrolled person"
    )
    accept_false_accept_up_to: float | None = Field(
        None, gt=0, lt=1,
        description="Only if set: when the calibration cannot meet max_false_accept (too many people, a "
        "population that scores higher), still grant at the strictest rate it reaches, up to this 1:N "
        "rate; every event records the rate in force. Unset: such a door grants nobody "
        "(reason policy_unreachable)",
    )
    groups: list[str] = Field(
        default_factory=lambda: ["default"], description="Groups whose members may pass this door"
    )
    schedules: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per group, allowed windows like 'mon-fri 07:00-19:00'; a group not listed "
        "is allowed at any time",
    )
    min_frames: int = Field(3, ge=1, description="K: frames that must name the same person")
    window_frames: int = Field(5, ge=1, description="M: the last M usable frames of a track")
    window_s: float = Field(1.5, gt=0, description="...within this many seconds")
    cooldown_s: float = Field(10.0, ge=0, description="No second grant for a person at this door")
    unknown_event_interval_s: float = Field(
        10.0, ge=0, description="At most one unknown-face / no-usable-face event per interval"
    )
    unlock_ttl_s: float = Field(5.0, gt=0, le=60, description="A door command's time-to-live")
