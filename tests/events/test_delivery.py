"""No access event is lost: broker down at start, broker killed mid-stream, nothing retained."""

from __future__ import annotations

import threading
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
    n = 300
    broker = Broker(tmp_path, persistent=True).start()
    subscriber = building_system(broker)
    sink = MqttSink(settings_for(broker, tmp_path))
    events = [access_event() for _ in range(n)]
    done = threading.Event()

    def produce() -> None:
        for event in events:
            sink.handle(event)
            time.sleep(0.004)
        done.set()

    producer = threading.Thread(target=produce)
    try:
        assert sink.connection.wait_connected(5)
        producer.start()
        assert subscriber.wait_for(lambda: len(ids_of(subscriber)) >= n // 4)
        broker.stop()
        before_kill = len(set(ids_of(subscriber)))
        assert wait_until(lambda: sink.backlog >= 20), "events made during the outage wait in the outbox"
        assert not done.is_set(), "the stream must still be running while the broker is down"
        broker.start()
        producer.join()
        assert subscriber.wait_for(lambda: len(set(ids_of(subscriber))) == n, 20), \
            f"{n - len(set(ids_of(subscriber)))} of {n} events lost"
        received = ids_of(subscriber)
        assert 0 < before_kill < n
        assert first_seen(received) == [e.id for e in events]
        # Repeats: the events acknowledged just before the crash, published again (bounded).
        assert len(received) - n <= RECENT_KEEP + 1
        assert wait_until(lambda: sink.backlog == 0)
    finally:
        done.wait(10)
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
