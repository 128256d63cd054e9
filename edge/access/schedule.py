"""Weekly time windows per group, like 'mon-fri 07:00-19:00' or 'sat 09:00-12:30'."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from edge.errors import ConfigError

_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WINDOW = re.compile(
    r"^\s*(?P<d1>[a-z]{3})(?:-(?P<d2>[a-z]{3}))?\s+(?P<t1>\d{1,2}:\d{2})-(?P<t2>\d{1,2}:\d{2})\s*$"
)


@dataclass(frozen=True)
class Window:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time

    def contains(self, moment: datetime) -> bool:
        return moment.weekday() in self.days and self.start <= moment.time() < self.end


def parse_window(text: str, key: str) -> Window:
    match = _WINDOW.match(text.lower())
    if not match or match["d1"] not in _DAYS or (match["d2"] and match["d2"] not in _DAYS):
        raise ConfigError([f"{key}: {text!r} is not like 'mon-fri 07:00-19:00'"])
    first = _DAYS.index(match["d1"])
    last = _DAYS.index(match["d2"]) if match["d2"] else first
    days = frozenset(range(first, last + 1)) if first <= last else frozenset(
        [*range(first, 7), *range(0, last + 1)]
    )
    try:
        start, end = time.fromisoformat(f"{match['t1']:0>5}"), time.fromisoformat(f"{match['t2']:0>5}")
    except ValueError as exc:
        raise ConfigError([f"{key}: {text!r}: {exc}"]) from exc
    if end <= start:
        raise ConfigError([f"{key}: {text!r}: the window must end after it starts"])
    return Window(days, start, end)


class Schedules:
    """Per group: allowed at any time unless the group has windows."""

    def __init__(self, config: dict[str, list[str]]) -> None:
        self.windows = {
            group: [parse_window(w, f"access.schedules.{group}") for w in windows]
            for group, windows in config.items()
        }

    def allows(self, groups: list[str], moment: datetime) -> bool:
        """True if any of the person's (allowed) groups is open at ``moment``."""
        return any(
            group not in self.windows or any(w.contains(moment) for w in self.windows[group])
            for group in groups
        )
