"""No access event is lost: broker down at start, broker killed mid-stream, nothing retained."""

from __future__ import annotations

import time
from pathlib import Path

from edge.events.mqtt import MqttSink
from edge.events.outbox import RECENT_KEEP
from edge.events.topics import Topics
from tests.events.helpers import Subscriber, access_event, settings_for, wait_until
from tests.support.mosquitto import Broker

ACCESS = Topics("edge/door-1").access


def ids_of(subscriber: Subscriber) -> list[str]:
    return [m.json()["id"] for m in subscriber.on(ACCESS)]


def first_seen(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def building_system(broker: Broker) -> Subscriber:
    """A subscriber with a persistent session: the broker keeps its queue across restarts."""
    return Subscriber(broker, ACCESS, session=True, client_id="building-system")


def test_events_made_while_the_broker_is_down_arrive_once_it_is_up(tmp_path: Path) -> None:
    broker = Broker(tmp_path, persistent=True).start()
    building_system(broker).close()  # the session exists; now the broker goes away
    broker.stop()
    sink = MqttSink(settings_for(broker, tmp_path))
    try:
        events = [access_event() for _ in range(20)]
        for event in events:
            sink.handle(event)
        time.sleep(0.3)
        assert not sink.connection.connected and sink.backlog == len(events)
        broker.start()
        subscriber = building_system(broker)
        assert subscriber.wait_for(lambda: len(set(ids_of(subscriber))) == len(events), 15)
        assert first_seen(ids_of(subscriber)) == [e.id for e in events]
        assert wait_until(lambda: sink.backlog == 0)
        subscriber.close()
    finally:
        sink.close()
        broker.stop()


def test_a_broker_killed_mid_stream_loses_nothing_and_keeps_the_order(tmp_path: Path) -> None:
    """The kill lands at a chosen point, not a race: a quarter delivered, a quarter sent to a
    frozen broker (in flight, never acknowledged) when it is killed, a quarter made during the
    outage, a quarter while reconnecting."""
    n = 300
    broker = Broker(tmp_path, persistent=True).start()
    subscriber = building_system(broker)
    sink = MqttSink(settings_for(broker, tmp_path))
    events = [access_event() for _ in range(n)]
    delivered, in_flight, outage, reconnecting = (events[i:i + n // 4] for i in range(0, n, n // 4))
    try:
        assert sink.connection.wait_connected(5)
        for event in delivered:
            sink.handle(event)
        assert subscriber.wait_for(lambda: len(set(ids_of(subscriber))) == len(delivered))
        broker.freeze()
        for event in in_flight:
            sink.handle(event)
        broker.stop()
        for event in outage:
            sink.handle(event)
        assert sink.backlog >= len(in_flight) + len(outage), "unacknowledged events wait in the outbox"
        assert set(ids_of(subscriber)) == {e.id for e in delivered}
        broker.start()
        for event in reconnecting:  # handed over while the sink reconnects in the background
            sink.handle(event)
        assert subscriber.wait_for(lambda: len(set(ids_of(subscriber))) == n, 60), \
            f"{n - len(set(ids_of(subscriber)))} of {n} events lost"
        received = ids_of(subscriber)
        assert first_seen(received) == [e.id for e in events]
        # Repeats: the events acknowledged just before the crash, published again (bounded).
        # Not counted: the broker's own redeliveries (DUP) of what the subscriber's lost PUBACKs
        # left unacknowledged in its session, which depend on the kill's timing, not the sink.
        published = [m for m in subscriber.on(ACCESS) if not m.redelivered]
        assert len(published) - n <= RECENT_KEEP + 1
        assert wait_until(lambda: sink.backlog == 0)
    finally:
        subscriber.close()
        sink.close()
        broker.stop()


def test_events_are_never_retained(broker: Broker, tmp_path: Path) -> None:
    sink = MqttSink(settings_for(broker, tmp_path))
    try:
        subscriber = Subscriber(broker, ACCESS)
        sink.handle(access_event("granted", "ann"))
        assert subscriber.wait_for(lambda: len(subscriber.on(ACCESS)) == 1)
        assert not subscriber.on(ACCESS)[0].retain
        late = Subscriber(broker, "edge/door-1/#")
        time.sleep(0.5)
        retained = {m.topic for m in late.messages}
        assert retained == {"edge/door-1/availability", "edge/door-1/status"}  # states, not events
        subscriber.close()
        late.close()
    finally:
        sink.close()
