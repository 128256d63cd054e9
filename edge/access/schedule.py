"""Weekly time windows per group, like 'mon-fri 07:00-19:00', 'sat 09:00-24:00' or
'mon-sun 22:00-06:00' (overnight: the window opens on the named days and closes the next morning).

Times are wall-clock times in the door's time zone (``access.timezone``, default the host's);
``24:00`` is the end of the day. Parsing raises ``ValueError`` so the settings model reports a bad
window as one ``config check`` line naming its key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WINDOW = re.compile(
    r"^\s*(?P<d1>[a-z]{3})(?:-(?P<d2>[a-z]{3}))?\s+(?P<t1>\d{1,2}:\d{2})-(?P<t2>\d{1,2}:\d{2})\s*$"
)
_DAY_S = 24 * 3600


def _seconds(text: str, window: str) -> int:
    """'07:30' -> seconds after midnight; '24:00' is the end of the day."""
    hours, minutes = (int(part) for part in text.split(":"))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{window!r}: {text} is not a time of day (00:00 to 24:00)")
    return hours * 3600 + minutes * 60


@dataclass(frozen=True)
class Window:
    days: frozenset[int]  # 0 = Monday: the days the window opens on
    start_s: int  # seconds after midnight, 0..86400
    end_s: int  # seconds after midnight; <= start_s: closes the next day (overnight)

    @property
    def overnight(self) -> bool:
        return self.end_s <= self.start_s

    def contains(self, moment: datetime) -> bool:
        """Whether the wall-clock ``moment`` (in the door's time zone) falls inside."""
        day = moment.weekday()
        now_s = moment.hour * 3600 + moment.minute * 60 + moment.second
        if not self.overnight:
            return day in self.days and self.start_s <= now_s < self.end_s
        opened_today = day in self.days and now_s >= self.start_s
        opened_yesterday = (day - 1) % 7 in self.days and now_s < self.end_s
        return opened_today or opened_yesterday


def parse_window(text: str) -> Window:
    """'mon-fri 07:00-19:00' -> :class:`Window`; ``ValueError`` saying what is wrong."""
    match = _WINDOW.match(text.lower())
    if not match or match["d1"] not in _DAYS or (match["d2"] and match["d2"] not in _DAYS):
        raise ValueError(f"{text!r} is not like 'mon-fri 07:00-19:00' or 'mon-sun 22:00-06:00'")
    first = _DAYS.index(match["d1"])
    last = _DAYS.index(match["d2"]) if match["d2"] else first
    days = frozenset(range(first, last + 1)) if first <= last else frozenset(
        [*range(first, 7), *range(0, last + 1)]
    )
    start_s, end_s = _seconds(match["t1"], text), _seconds(match["t2"], text)
    if start_s == _DAY_S:
        raise ValueError(f"{text!r}: a window starts at 00:00 at the latest, not 24:00")
    if start_s == end_s:
        raise ValueError(f"{text!r}: an empty window (the whole day is 00:00-24:00)")
    return Window(days, start_s, end_s)


class Schedules:
    """Per group: allowed at any time unless the group has windows."""

    def __init__(self, config: Mapping[str, list[str]]) -> None:
        self.windows = {group: [parse_window(w) for w in windows] for group, windows in config.items()}

    def allows(self, groups: list[str], moment: datetime) -> bool:
        """True if any of the person's (allowed) groups is open at ``moment`` (door-local time)."""
        return any(
            group not in self.windows or any(w.contains(moment) for w in self.windows[group])
            for group in groups
        )
