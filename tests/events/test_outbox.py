from pathlib import Path

from edge.events.outbox import RECENT_KEEP, Outbox


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_entries_come_back_in_order_survive_reopening_and_leave_only_when_removed(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite", max_events=100, max_age_s=3600)
    for i in range(5):
        box.put(f"e{i}", "t", f"p{i}".encode())
    box.put("e1", "t", b"again")  # the same event twice is stored once
    first = box.after(0, 2)
    assert [e.event_id for e in first] == ["e0", "e1"] and first[1].payload == b"p1"
    box.acknowledge([first[0].seq])
    box.close()
    box = Outbox(tmp_path / "o.sqlite", max_events=100, max_age_s=3600)
    assert [e.event_id for e in box.after(0, 10)] == ["e1", "e2", "e3", "e4"]
    assert len(box) == 4


def test_bounds_drop_the_oldest_and_count_what_they_dropped(tmp_path: Path) -> None:
    clock = Clock()
    box = Outbox(tmp_path / "o.sqlite", max_events=3, max_age_s=60, clock=clock)
    for i in range(5):
        box.put(f"e{i}", "t", b"x")
        clock.now += 10
    assert [e.event_id for e in box.after(0, 10)] == ["e2", "e3", "e4"]
    assert box.dropped == 2
    clock.now += 35  # now e2 is 65 s old (over the 60 s bound), e3 55 s
    assert box.expire() == 1
    assert [e.event_id for e in box.after(0, 10)] == ["e3", "e4"]
    box.close()
    assert Outbox(tmp_path / "o.sqlite", max_events=3, max_age_s=60).dropped == 3


def test_the_last_acknowledged_entries_are_kept_for_a_republish(tmp_path: Path) -> None:
    clock = Clock()
    box = Outbox(tmp_path / "o.sqlite", max_events=100, max_age_s=3600, clock=clock)
    for i in range(RECENT_KEEP + 5):
        box.put(f"e{i}", "t", b"x")
    for entry in box.after(0, 100):
        clock.now += 1
        box.acknowledge([entry.seq])
    assert len(box) == 0
    kept = box.acknowledged_between(0, clock.now)
    assert [e.event_id for e in kept] == [f"e{i}" for i in range(5, RECENT_KEEP + 5)]
    assert [e.event_id for e in box.acknowledged_between(clock.now - 1.5, clock.now)] == \
        [f"e{RECENT_KEEP + 3}", f"e{RECENT_KEEP + 4}"]
