"""Issue #19 item 1: a damaged outbox must not stop events or door commands.

The fault: old events whose overflow pages are damaged. ``expire()`` failed inside its
transaction and left the connection in it; from then on every ``put()`` failed ("Safety level
may not be changed inside a transaction"): no access event reached MQTT and no grant opened the
door until a restart.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from edge.errors import StoreError
from edge.events.mqtt import MqttSink
from edge.events.outbox import Outbox
from edge.events.topics import Topics
from tests.events.helpers import Subscriber, access_event, settings_for, wait_until
from tests.support.mosquitto import Broker

TOPICS = Topics("edge/door-1")
BIG = 20_000  # bytes: a payload that spills into overflow pages (page size 4096)


def damage_overflow_pages(path: Path, filler: int) -> int:
    """Point every overflow page holding ``filler`` bytes at a page that does not exist."""
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    damaged = 0
    for start in range(page_size, len(data), page_size):
        if data[start + 4:start + 104] == bytes([filler]) * 100:  # an overflow page of the payload
            data[start:start + 4] = (0x7FFFFFF0).to_bytes(4, "big")
            damaged += 1
    path.write_bytes(bytes(data))
    return damaged


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def damaged_outbox(path: Path, clock: Clock) -> None:
    """An outbox with one old event on damaged overflow pages and one recent readable event."""
    box = Outbox(path, max_events=100, max_age_s=60, clock=clock)
    box.put("old", "t", b"A" * BIG)
    clock.now += 30
    box.put("kept", "t", b"k")
    box.close()
    assert damage_overflow_pages(path, ord("A")) > 0


def test_after_a_damaged_expiry_events_are_still_stored_and_delivered_in_order(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "outbox.sqlite"
    damaged_outbox(path, clock)
    box = Outbox(path, max_events=100, max_age_s=60, clock=clock)
    clock.now += 40  # "old" is past the age bound: expire() must delete its damaged pages
    box.expire()
    box.put("new", "t", b"n")  # failed on every call after the fault
    assert [(e.event_id, e.payload) for e in box.after(0, 10)] == [("kept", b"k"), ("new", b"n")]
    assert box.dropped == 1  # the unreadable event is counted, not silently gone
    assert (tmp_path / "outbox.sqlite.damaged").exists()  # kept aside for a post-mortem
    box.close()


def test_a_damaged_outbox_found_at_start_keeps_every_readable_event(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "outbox.sqlite"
    damaged_outbox(path, clock)
    path.write_bytes(path.read_bytes()[:-100])  # a torn last page as well: quick_check fails
    box = Outbox(path, max_events=100, max_age_s=3600, clock=clock)
    box.put("new", "t", b"n")
    assert [e.event_id for e in box.after(0, 10)][-1] == "new"
    box.close()


def test_the_outbox_is_private_in_a_private_folder(tmp_path: Path) -> None:
    path = tmp_path / "state" / "outbox.sqlite"
    Outbox(path, max_events=10, max_age_s=60).close()
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_after_the_fault_grants_still_open_the_door_and_events_reach_the_broker(
        broker: Broker, tmp_path: Path) -> None:
    clock = Clock()
    settings = settings_for(broker, tmp_path, door_secret="s3cret-door-key", drives_door=True,
                            outbox_max_age=60)
    damaged_outbox(settings.outbox_path, clock)
    watcher = Subscriber(broker, TOPICS.access, TOPICS.door_command)
    sink = MqttSink(settings)
    try:
        assert sink.connection.wait_connected(10)
        sink.outbox.expire()  # the publisher's own round does this once a minute
        events = [access_event("granted", "alice") for _ in range(3)]
        for event in events:
            sink.handle(event)
        assert watcher.wait_for(lambda: len(watcher.on(TOPICS.door_command)) == 3)
        assert watcher.wait_for(lambda: {e.id for e in events} <= {
            m.json().get("id") for m in watcher.on(TOPICS.access)})
        assert wait_until(lambda: sink.backlog == 0)
    finally:
        sink.close()
        watcher.close()


def test_an_event_whose_commit_failed_is_committed_by_the_next_put(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "outbox.sqlite", max_events=100, max_age_s=3600)
    db = box._store.db
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full
    with pytest.raises(StoreError, match="full"):
        box.put("first", "t", b"x" * 20_000)
    db.execute("PRAGMA max_page_count = 1000000")  # space again
    box.put("second", "t", b"y")
    assert [e.event_id for e in box.after(0, 10)] == ["first", "second"]
    box.close()
