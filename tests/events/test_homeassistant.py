"""Home Assistant discovery: at start, again when Home Assistant comes online, per person; exact
ids (no slugging) and no publishing over another appliance's entities."""

from __future__ import annotations

import json
import time
from pathlib import Path

import paho.mqtt.publish as publish
import pytest

from edge.errors import ConfigError
from edge.events.homeassistant import escape
from edge.events.mqtt import MqttSink
from tests.events.helpers import Subscriber, settings_for
from tests.support.mosquitto import Broker

NODE = "homeassistant/{}/edge_door-1/{}/config"
DEVICE_ENTITIES = {NODE.format("event", "access"), NODE.format("sensor", "last_person"),
                   NODE.format("binary_sensor", "connectivity"), NODE.format("lock", "door")}
ANN = NODE.format("event", "person_p-ann")
BOB = NODE.format("event", "person_p-bob")


def configs(subscriber: Subscriber) -> dict[str, bytes]:
    """The latest payload per discovery topic."""
    return {m.topic: m.payload for m in list(subscriber.messages) if m.topic.endswith("/config")}


def retained(broker: Broker) -> dict[str, dict[str, object]]:
    """What a Home Assistant starting now would read: every retained discovery config."""
    time.sleep(0.3)  # publishes still on their way land first
    late = Subscriber(broker, "homeassistant/#")
    time.sleep(0.5)
    late.close()
    return {m.topic: m.json() for m in late.messages if m.retain and m.payload}


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
        assert event["unique_id"] == "edge:door-1:access"
        assert "default_entity_id" not in event and "object_id" not in event
        assert event["event_types"] == ["granted", "denied"] and event["state_topic"] == "edge/door-1/access"
        assert event["device"]["identifiers"] == ["edge_door-1"]
        assert event["availability"] == [{"topic": "edge/door-1/availability"}]
        lock = next(m for m in ha.messages if m.topic == NODE.format("lock", "door")).json()
        assert lock["command_topic"] == "edge/door-1/lock/set" and lock["retain"] is False
        assert lock["availability_mode"] == "all"
        person = next(m for m in ha.messages if m.topic == ANN).json()
        assert person["name"] == "Ann" and '"p-ann"' in person["value_template"]
        assert person["unique_id"] == "edge:door-1:person:p-ann"

        published = len(ha.messages)
        publish.single("homeassistant/status", b"online", hostname=broker.host, port=broker.port)
        assert ha.wait_for(lambda: len(ha.messages) >= published + len(DEVICE_ENTITIES) + 1)

        sink.person_added("p-bob", "Bob")
        sink.person_removed("p-ann")
        assert ha.wait_for(lambda: configs(ha).get(ANN) == b"" and BOB in configs(ha))
        assert set(retained(broker)) == DEVICE_ENTITIES | {BOB}
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


def test_escaping_is_one_to_one_and_fits_a_topic_segment() -> None:
    ids = ["ann.lee", "ann-lee", "Ann_Lee", "ann_lee", "ann_2elee", "a@b", "p0abc"]
    escaped = [escape(i) for i in ids]
    assert escaped == ["ann_2elee", "ann-lee", "Ann_5fLee", "ann_5flee", "ann_5f2elee", "a_40b", "p0abc"]
    assert all(e.replace("_", "").replace("-", "").isalnum() and e.isascii() for e in escaped)


def test_people_whose_ids_slug_alike_get_entities_of_their_own(broker: Broker, tmp_path: Path) -> None:
    sink = MqttSink(settings_for(broker, tmp_path), start=False)
    people = {"ann.lee": "Ann L.", "ann-lee": "Ann Lee", "Ann_Lee": "Ann Lee (finance)"}
    for person_id, name in people.items():
        sink.person_added(person_id, name)
    sink.start()
    try:
        assert sink.discovery is not None
        topics = {pid: sink.discovery.person_topic(pid) for pid in people}
        assert len(set(topics.values())) == 3
        seen = Subscriber(broker, "homeassistant/#")
        assert seen.wait_for(lambda: set(topics.values()) <= set(configs(seen)))
        sink.person_removed("ann.lee")  # removing one leaves the others
        assert seen.wait_for(lambda: configs(seen).get(topics["ann.lee"]) == b"")
        seen.close()
        now = retained(broker)
        assert {now[topics[p]]["unique_id"] for p in ("ann-lee", "Ann_Lee")} == {
            "edge:door-1:person:ann-lee", "edge:door-1:person:Ann_Lee"}
        assert topics["ann.lee"] not in now
    finally:
        sink.close()


def two_appliances(broker: Broker, tmp_path: Path, second_id: str, **second_mqtt: object) -> tuple:
    first = settings_for(broker, tmp_path / "one", drives_door=True, door_secret="first-door")
    second = settings_for(broker, tmp_path / "two", drives_door=True, door_secret="second-door",
                          **second_mqtt)
    second.device.id = second_id
    return first, second


def test_door_1_and_door_underscore_1_keep_their_own_locks(broker: Broker, tmp_path: Path) -> None:
    first_settings, second_settings = two_appliances(broker, tmp_path, "door_1")
    first, second = MqttSink(first_settings), MqttSink(second_settings)
    try:
        for sink in (first, second):
            assert sink.discovery is not None
            sink.discovery.check(5)
            assert sink.discovery.clash is None
        now = retained(broker)
        locks = {t: c for t, c in now.items() if t.startswith("homeassistant/lock/")}
        assert {t: c["command_topic"] for t, c in locks.items()} == {
            "homeassistant/lock/edge_door-1/door/config": "edge/door-1/lock/set",
            "homeassistant/lock/edge_door_1/door/config": "edge/door_1/lock/set"}
        assert len({c["unique_id"] for c in now.values()}) == len(now) == 8

        # Home Assistant's lock entity of the front door commands the front door, not door_1
        commands = Subscriber(broker, "edge/+/door/command")
        lock = now["homeassistant/lock/edge_door-1/door/config"]
        publish.single(str(lock["command_topic"]), b"UNLOCK", hostname=broker.host, port=broker.port)
        assert commands.wait_for(lambda: len(commands.messages) == 1)
        time.sleep(0.3)
        assert [m.topic for m in commands.messages] == ["edge/door-1/door/command"]
        assert json.loads(commands.messages[0].payload)["device"] == "door-1"
        assert (first.counters["door_commands_sent"], second.counters["door_commands_sent"]) == (1, 0)
        commands.close()
    finally:
        first.close()
        second.close()


def test_a_second_appliance_with_the_same_device_id_refuses_to_publish_over_the_first(
        broker: Broker, tmp_path: Path) -> None:
    first_settings, second_settings = two_appliances(broker, tmp_path, "door-1", prefix="site-b/door-1")
    first = MqttSink(first_settings)
    try:
        assert first.discovery is not None
        first.discovery.check(5)
        before = retained(broker)
        second = MqttSink(second_settings)
        try:
            assert second.discovery is not None
            with pytest.raises(ConfigError) as refused:
                second.discovery.check(5)
            message = str(refused.value)
            assert "homeassistant/lock/edge_door-1/door/config" in message
            assert "edge/door-1/availability" in message and "another device.id" in message
            publish.single("homeassistant/status", b"online", hostname=broker.host, port=broker.port)
            time.sleep(0.5)  # Home Assistant restarting asks everyone again: still not over the first
            assert retained(broker) == before
            assert before["homeassistant/lock/edge_door-1/door/config"]["command_topic"] == \
                "edge/door-1/lock/set"
        finally:
            second.close()
    finally:
        first.close()


def test_an_older_versions_topics_and_people_removed_while_away_are_cleaned_up(
        broker: Broker, tmp_path: Path) -> None:
    legacy = {"name": "Door", "unique_id": "edge_door_1_door", "command_topic": "edge/door-1/lock/set",
              "availability": [{"topic": "edge/door-1/availability"}],
              "origin": {"name": "edge-face-door", "sw_version": "0.1"}}
    foreign = {"name": "Kitchen light", "unique_id": "kitchen-1", "command_topic": "zigbee/kitchen/set",
               "availability": [{"topic": "zigbee/kitchen/availability"}]}
    for topic, config in [("homeassistant/lock/edge_door_1/door/config", legacy),
                          ("homeassistant/light/kitchen/config", foreign),
                          (ANN, legacy | {"unique_id": "edge:door-1:person:p-ann"})]:
        publish.single(topic, json.dumps(config), retain=True, hostname=broker.host, port=broker.port)
    sink = MqttSink(settings_for(broker, tmp_path, drives_door=True, door_secret="s3cret-door"))
    try:
        assert sink.discovery is not None
        sink.discovery.check(5)
        time.sleep(0.3)
        assert set(retained(broker)) == DEVICE_ENTITIES | {"homeassistant/light/kitchen/config"}
    finally:
        sink.close()
