"""Home Assistant discovery: at start, again when Home Assistant comes online, per person."""

from __future__ import annotations

import time
from pathlib import Path

import paho.mqtt.publish as publish

from edge.events.mqtt import MqttSink
from tests.events.helpers import Subscriber, settings_for
from tests.support.mosquitto import Broker

NODE = "homeassistant/{}/edge_door_1/{}/config"
DEVICE_ENTITIES = {NODE.format("event", "access"), NODE.format("sensor", "last_person"),
                   NODE.format("binary_sensor", "connectivity"), NODE.format("lock", "door")}
ANN = NODE.format("event", "person_p_ann")
BOB = NODE.format("event", "person_p_bob")


def configs(subscriber: Subscriber) -> dict[str, bytes]:
    """The latest payload per discovery topic."""
    return {m.topic: m.payload for m in list(subscriber.messages) if m.topic.endswith("/config")}


def test_entities_exist_from_start_and_follow_enrollment_and_home_assistant_restarts(
    broker: Broker, tmp_path: Path
) -> None:
    ha = Subscriber(broker, "homeassistant/#")
    sink = MqttSink(settings_for(broker, tmp_path, drives_door=True, door_secret="s3cret-door"),
                    start=False)
    sink.person_added("p-ann", "Ann")  # enrolled before the appliance connects
    sink.start()
    try:
        assert ha.wait_for(lambda: set(configs(ha)) == DEVICE_ENTITIES | {ANN})
        event = next(m for m in ha.messages if m.topic == NODE.format("event", "access")).json()
        assert event["unique_id"] == "edge_door_1_access"
        assert event["default_entity_id"] == "event.edge_door_1_access" and "object_id" not in event
        assert event["event_types"] == ["granted", "denied"] and event["state_topic"] == "edge/door-1/access"
        assert event["device"]["identifiers"] == ["edge_door_1"]
        assert event["availability"] == [{"topic": "edge/door-1/availability"}]
        lock = next(m for m in ha.messages if m.topic == NODE.format("lock", "door")).json()
        assert lock["command_topic"] == "edge/door-1/lock/set" and lock["retain"] is False
        assert lock["availability_mode"] == "all"
        person = next(m for m in ha.messages if m.topic == ANN).json()
        assert person["name"] == "Ann" and '"p-ann"' in person["value_template"]

        published = len(ha.messages)
        publish.single("homeassistant/status", b"online", hostname=broker.host, port=broker.port)
        assert ha.wait_for(lambda: len(ha.messages) >= published + len(DEVICE_ENTITIES) + 1)

        sink.person_added("p-bob", "Bob")
        sink.person_removed("p-ann")
        assert ha.wait_for(lambda: configs(ha).get(ANN) == b"" and BOB in configs(ha))
        late = Subscriber(broker, "homeassistant/#")  # what a restarted Home Assistant gets
        time.sleep(0.5)
        retained = {m.topic for m in late.messages if m.retain and m.payload}
        assert retained == DEVICE_ENTITIES | {BOB}
        late.close()
        ha.close()
    finally:
        sink.close()


def test_without_a_door_there_is_no_lock_entity(broker: Broker, tmp_path: Path) -> None:
    ha = Subscriber(broker, "homeassistant/#")
    sink = MqttSink(settings_for(broker, tmp_path))
    try:
        assert ha.wait_for(lambda: len(configs(ha)) == 3)
        time.sleep(0.3)
        assert set(configs(ha)) == DEVICE_ENTITIES - {NODE.format("lock", "door")}
        ha.close()
    finally:
        sink.close()
