import json
import stat
from pathlib import Path

from edge.events.jsonl import JsonlSink
from tests.events.helpers import access_event


def test_each_event_is_one_json_line_appended(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "events.jsonl"
    events = [access_event("granted", "ann"), access_event()]
    sink = JsonlSink(path)
    sink.handle(events[0])
    sink.close()
    sink = JsonlSink(path)  # a restart appends, never truncates
    sink.handle(events[1])
    sink.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["id"] for line in lines] == [e.id for e in events]
    assert lines[0]["schema_version"] == 1 and lines[0]["person_id"] == "ann"


def test_the_file_is_private_in_a_private_folder(tmp_path: Path) -> None:
    path = tmp_path / "events" / "access.jsonl"
    sink = JsonlSink(path)
    sink.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
