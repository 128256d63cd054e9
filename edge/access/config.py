"""The door's access policy: one false-accept rate for every backend, groups, schedules."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from edge.access.schedule import parse_window
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


# A door that lets one stranger in a hundred through is no access control: the tables of every
# backend start at or below this rate, so a looser policy would only pin the lowest threshold.
MAX_POLICY_FAR = 1e-2


class AccessSettings(Section):
    max_false_accept: float = Field(
        1e-4, gt=0, le=MAX_POLICY_FAR,
        description="Accepted risk that a stranger is taken for an enrolled person (at most 0.01)",
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
        description="Per group of access.groups (case-sensitive), allowed windows like "
        "'mon-fri 07:00-19:00', 'sat 09:00-24:00' or overnight 'mon-sun 22:00-06:00'; a group "
        "not listed is allowed at any time",
    )
    timezone: str = Field(
        "", description="IANA time zone of the schedules, e.g. 'Europe/Berlin'; empty = the "
        "host's. Event and log times stay UTC",
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

    @field_validator("schedules")
    @classmethod
    def _windows_parse(cls, schedules: dict[str, list[str]]) -> dict[str, list[str]]:
        problems = []
        for group, windows in schedules.items():
            for window in windows:
                try:
                    parse_window(window)
                except ValueError as exc:
                    problems.append(f"{group}: {exc}")
        if problems:
            raise ValueError("; ".join(problems))
        return schedules

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        if name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"{name!r} is not an IANA time zone like 'Europe/Berlin'") from exc
        return name

    @model_validator(mode="after")
    def _schedules_name_door_groups(self) -> AccessSettings:
        """A schedule for a group the door does not know would silently restrict nobody."""
        unknown = [group for group in self.schedules if group not in self.groups]
        if unknown:
            named = []
            for group in unknown:
                same = next((g for g in self.groups if g.lower() == group.lower()), None)
                named.append(f"{group!r}" + (f" (did you mean {same!r}? names are case-sensitive)"
                                             if same else ""))
            raise ValueError(f"access.schedules names groups not in access.groups {self.groups}: "
                             + ", ".join(named))
        return self

    @property
    def zone(self) -> ZoneInfo | None:
        """The schedules' time zone; None = the host's local time."""
        return ZoneInfo(self.timezone) if self.timezone else None
