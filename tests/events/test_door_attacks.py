"""Issue #19 items 7, 8, 10: the door agent under attack by someone on the broker without the key."""

from __future__ import annotations

import json
import time
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from edge.events.command import CommandRejected, verify
from edge.events.relay import SimulatedRelay
from tests.events.helpers import wait_until
from tests.events.test_door import SECRET, TOPICS, command, send, start_agent, states
from tests.support.mosquitto import Broker

FORGED = 2000


class Attacker:
    """A client without the key publishing forged QoS 1 commands as fast as the broker takes them."""

    def __init__(self, broker: Broker) -> None:
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=paho.MQTTv5)
        self.client.max_inflight_messages_set(65535)
        self.client.max_queued_messages_set(0)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def flood(self, count: int) -> None:
        forged = json.dumps({"sig": "0" * 64, "nonce": "f" * 32, "action": "unlock"}).encode()
        infos = [self.client.publish(TOPICS.door_command, forged, qos=1) for _ in range(count)]
        infos[-1].wait_for_publish(30)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_a_flood_of_forged_commands_does_not_drop_the_next_valid_one(
        broker: Broker, tmp_path: Path) -> None:
    agent = start_agent(broker, tmp_path)
    attacker = Attacker(broker)
    try:
        attacker.flood(FORGED)
        send(broker, command())  # queued behind the flood at the broker
        attacker.flood(FORGED)
        relay = agent.relay
        assert isinstance(relay, SimulatedRelay)
        assert wait_until(lambda: True in states(relay), 20), dict(agent.rejected)
        # nothing was dropped by the broker: every forged message reached the agent and was refused
        assert wait_until(lambda: agent.rejected["bad_signature"] == 2 * FORGED, 20), dict(agent.rejected)
    finally:
        attacker.close()
        agent.stop()


def test_the_agents_client_id_cannot_be_guessed(broker: Broker, tmp_path: Path) -> None:
    first = start_agent(broker, tmp_path / "a")
    second = start_agent(broker, tmp_path / "b")  # the same device: a predictable id would collide
    try:
        ids = {first.connection.identity.client_id, second.connection.identity.client_id}
        assert len(ids) == 2
        time.sleep(0.5)
        assert first.connection.connected and second.connection.connected
    finally:
        first.stop()
        second.stop()


@pytest.mark.parametrize("payload", [
    b"[" * 100_000 + b"]" * 100_000,  # deeply nested: RecursionError in the JSON parser
    b'{"sig": "\\ud800\\u00e9"}',  # a non-ASCII signature: TypeError in compare_digest
    b"{" + b" " * 70_000 + b"}",  # far larger than any command
])
def test_malformed_payloads_are_rejected_not_raised(payload: bytes) -> None:
    with pytest.raises(CommandRejected, match="malformed"):
        verify(payload, SECRET, device="door-1", door="front", now=time.time(), max_skew_s=2)


def test_a_command_claiming_a_long_time_to_live_is_refused(broker: Broker, tmp_path: Path) -> None:
    agent = start_agent(broker, tmp_path)
    try:
        with pytest.raises(CommandRejected, match="time-to-live"):
            agent.execute(command(ttl_s=3600))
        assert agent.executed == []
    finally:
        agent.stop()


