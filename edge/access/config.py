"""The door's access policy: one false-accept rate for every backend."""

from __future__ import annotations

from pydantic import Field, field_validator

from edge.config.base import Section

Point = tuple[float, float]


class DoorZoneSettings(Section):
    """Where a face must be to open the door: the rest of the frame is seen, never obeyed."""

    polygon: list[Point] = Field(
        default_factory=lambda: [(0.15, 0.0), (0.85, 0.0), (0.85, 1.0), (0.15, 1.0)],
        description="Corners (x, y) of the door zone in frame coordinates 0-1 (x right, y down); "
        "a face's centre must lie inside. Default: the middle 70% of the width, full height",
    )
    min_face_width: float = Field(
        0.10, gt=0, le=1,
        description="Smallest face width, as a fraction of the frame width, that may open the door "
        "(a proxy for distance: a 15 cm face at about 1.2 m with a 62-degree lens)",
    )

    @field_validator("polygon")
    @classmethod
    def _a_region(cls, polygon: list[Point]) -> list[Point]:
        if len(polygon) < 3:
            raise ValueError("a door zone needs at least 3 corners")
        if any(not (0.0 <= c <= 1.0) for point in polygon for c in point):
            raise ValueError("corners are fractions of the frame: x and y between 0 and 1")
        area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1]))
        if abs(area) < 1e-4:
            raise ValueError("the corners enclose no area")
        return polygon


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
    door_zone: DoorZoneSettings = Field(default_factory=DoorZoneSettings)
    unlock_ttl_s: float = Field(5.0, gt=0, le=60, description="A door command's time-to-live")
