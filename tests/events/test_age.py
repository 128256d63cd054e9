"""Events delivered late say how old they are: set by the publisher from the outbox."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from edge.events.mqtt import MqttSink
from edge.events.topics import Topics
from tests.events.helpers import Subscriber, access_event, settings_for
from tests.support.mosquitto import Broker

ACCESS = Topics("edge/door-1").access


def test_an_event_that_waited_out_an_outage_says_its_age(broker: Broker, tmp_path: Path) -> None:
    subscriber = Subscriber(broker, ACCESS)
    sink = MqttSink(settings_for(broker, tmp_path), start=False)  # the broker is out of reach
    try:
        stale = access_event("granted", "ann")
        sink.handle(stale)
        time.sleep(1.5)
        sink.start()
        fresh = access_event("granted", "bob")
        assert sink.connection.wait_connected(10)
        sink.handle(fresh)
        assert subscriber.wait_for(lambda: len(subscriber.on(ACCESS)) == 2)
        late, live = (m.json() for m in subscriber.on(ACCESS))
        assert late["id"] == stale.id and live["id"] == fresh.id
        assert late["age_s"] >= 1.5 and live["age_s"] < 1.0
        delivered = datetime.fromisoformat(late["delivered_at"])
        made = datetime.fromisoformat(late["time"])
        assert abs((delivered - made).total_seconds() - late["age_s"]) < 0.5
    finally:
        subscriber.close()
        sink.close()
