"""Schedules: overnight windows, 24:00, the door's time zone, and group names checked by the
settings model, so `config check`, `doctor` and `run` agree on what is valid."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import tomllib

from edge.access.config import AccessSettings
from edge.access.decision import DecisionEngine, Observation
from edge.access.event import Match
from edge.access.schedule import Schedules
from edge.access.tracker import Track
from edge.config.settings import load_settings
from edge.errors import ConfigError
from edge.vision.types import Box
from tests.support.cli import run_edge

MATCH = Match(backend="local", score=0.8, scale="cosine", threshold=0.6, false_accept=1e-4)
MONDAY = datetime(2026, 11, 23)  # a Monday


class Directory:
    def person(self, person_id: str) -> tuple[str, list[str]] | None:
        return ("Alice", ["staff"]) if person_id == "alice" else None


def decide(access: AccessSettings, wall_clock: datetime | None = None) -> str:
    """The reason of the door's decision on three agreeing frames of Alice (group staff)."""
    engine = DecisionEngine(access, device="d1", door="front", directory=Directory(),
                            wall_clock=(lambda: wall_clock) if wall_clock else None)
    track = Track(1, Box(100, 100, 80, 80), 0.0, 0.0)
    reasons = [e.reason for i in range(3) if (e := engine.observe(Observation(
        time=i / 10, track=track, box=track.box, usable=True, person_id="alice", match=MATCH)))]
    assert len(reasons) == 1
    return reasons[0]


def staff(*windows: str, **access: object) -> AccessSettings:
    return AccessSettings(groups=["staff"], schedules={"staff": list(windows)}, **access)


@pytest.mark.parametrize(("moment", "open_"), [
    (MONDAY + timedelta(hours=23, minutes=30), True),  # Monday night
    (MONDAY + timedelta(days=1, hours=5, minutes=59), True),  # Tuesday early morning
    (MONDAY + timedelta(hours=5), False),  # Monday early: opened Sunday night, not listed
    (MONDAY + timedelta(days=1, hours=6), False),  # closes at 06:00
    (MONDAY + timedelta(hours=12), False),
])
def test_an_overnight_window_opens_on_its_days_and_closes_the_next_morning(
        moment: datetime, open_: bool) -> None:
    access = staff("mon-fri 22:00-06:00")
    assert decide(access, moment) == ("recognized" if open_ else "outside_schedule")


def test_the_window_wrapping_the_week_closes_on_monday_morning() -> None:
    windows = Schedules({"staff": ["sun 22:00-06:00"]})
    assert windows.allows(["staff"], MONDAY + timedelta(hours=5))
    assert not windows.allows(["staff"], MONDAY + timedelta(days=1, hours=5))


def test_24_00_is_the_end_of_the_day() -> None:
    windows = Schedules({"staff": ["mon 18:00-24:00"], "all": ["mon-sun 00:00-24:00"]})
    assert windows.allows(["staff"], MONDAY + timedelta(hours=23, minutes=59, seconds=59))
    assert not windows.allows(["staff"], MONDAY + timedelta(days=1, seconds=1))
    assert all(windows.allows(["all"], MONDAY + timedelta(hours=h, minutes=59, seconds=59))
               for h in range(24 * 7))


def test_schedules_follow_the_configured_time_zone() -> None:
    """The door's own clock (no wall_clock given) read in access.timezone, not the host's."""
    hour = datetime.now(ZoneInfo("Asia/Tokyo")).hour
    window = f"mon-sun {(hour - 1) % 24:02d}:00-{(hour + 2) % 24:02d}:00"  # open now in Tokyo
    assert decide(staff(window, timezone="Asia/Tokyo")) == "recognized"
    assert decide(staff(window, timezone="America/New_York")) == "outside_schedule"  # 13-14 h off


BAD_SETTINGS = [  # (TOML, what the one line about it says)
    ('[access]\ngroups = ["staff"]\nschedules = { Staff = ["mon-fri 07:00-19:00"] }',
     "did you mean 'staff'? names are case-sensitive"),
    ('[access]\nschedules = { visitors = ["mon-fri 07:00-19:00"] }', "not in access.groups"),
    ('[access]\nschedules = { default = ["mon 08:00-08:00"] }', "an empty window"),
    ('[access]\nschedules = { default = ["mon 08:00-24:30"] }', "not a time of day"),
    ('[access]\nschedules = { default = ["mon-fri"] }', "is not like"),
    ('[access]\ntimezone = "Mars/Olympus"', "not an IANA time zone"),
    ("[access]\nmax_false_accept = 0.9", "access.max_false_accept"),
    ('[mqtt]\nprefix = "site/+/door"', "must not hold '+', '#'"),
    ('[mqtt]\nprefix = "site/#"', "must not hold '+', '#'"),
    ('[mqtt.homeassistant]\ndiscovery_prefix = "ha//x"', "empty levels"),
]


@pytest.mark.parametrize(("text", "message"), BAD_SETTINGS)
def test_config_check_doctor_and_run_refuse_the_same_settings(
        text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, **tomllib.loads(text))
    assert message in "\n".join(info.value.problems)
    config = tmp_path / "edge.toml"
    config.write_text(text)
    for command in (["config", "check"], ["doctor", "--only", "models"], ["run", "--max-frames", "1"]):
        code, _, err = run_edge(capsys, "--config", str(config), *command)
        assert code == 2 and message in err, (command, err)


def test_valid_schedules_pass_config_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "edge.toml"
    config.write_text('[access]\ngroups = ["staff"]\ntimezone = "Europe/Berlin"\n'
                      'schedules = { staff = ["mon-sun 22:00-06:00", "sat 09:00-24:00"] }\n')
    code, _, err = run_edge(capsys, "--config", str(config), "config", "check")
    assert code == 0, err
