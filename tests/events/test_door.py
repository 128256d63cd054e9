"""Door commands: signed, fresh, first-seen, never retained; the agent's relay and fail mode."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.publish as publish
import pytest

from edge.cli.main import main
from edge.config.settings import Settings
from edge.events.command import CommandRejected, encode, new_command
from edge.events.door import DoorAgent
from edge.events.mqtt import MqttSink
from edge.events.relay import SimulatedRelay
from edge.events.topics import Topics
from tests.events.helpers import Subscriber, access_event, settings_for, wait_until
from tests.support.mosquitto import Broker

SECRET = "door-secret-for-tests"
TOPICS = Topics("edge/door-1")
ROOT = Path(__file__).resolve().parents[2]


def door_settings(broker: Broker, state_dir: Path, **mqtt: object) -> Settings:
    return settings_for(broker, state_dir, door_secret=SECRET, drives_door=True,
                        door={"pulse_s": 0.3}, **mqtt)


@pytest.fixture
def agent(broker: Broker, tmp_path: Path) -> Iterator[DoorAgent]:
    door = DoorAgent(door_settings(broker, tmp_path / "door"), SimulatedRelay(initial_unlocked=False))
    door.start()
    assert door.connection.wait_connected(5)
    time.sleep(0.2)  # its SUBACK
    yield door
    door.stop()


def states(relay: SimulatedRelay) -> list[bool]:
    return [unlocked for _, unlocked in relay.changes]


def send(broker: Broker, payload: bytes, *, retain: bool = False) -> None:
    publish.single(TOPICS.door_command, payload, qos=1, retain=retain, hostname=broker.host,
                   port=broker.port)


@pytest.mark.parametrize("protocol", ["auto", "3.1.1"])
def test_a_grant_opens_the_door_for_one_pulse_and_nothing_is_retained(
    broker: Broker, tmp_path: Path, agent: DoorAgent, protocol: str
) -> None:
    watcher = Subscriber(broker, TOPICS.door_command, TOPICS.door_state)
    sink = MqttSink(door_settings(broker, tmp_path / "appliance", protocol=protocol))
    try:
        assert sink.connection.wait_connected(5)
        sink.handle(access_event("granted", "ann"))
        relay = agent.relay
        assert isinstance(relay, SimulatedRelay)
        assert wait_until(lambda: states(relay) == [False, True, False], 5)
        opened, closed = relay.changes[1][0], relay.changes[2][0]
        assert 0.25 < closed - opened < 1.0  # the 0.3 s pulse
        command = watcher.on(TOPICS.door_command)[0]
        assert not command.retain and command.json()["action"] == "unlock"
        # MQTT 5: the broker drops the command once late (whole seconds, within the 5 s TTL).
        assert (command.expiry_s in (4, 5)) if protocol == "auto" else command.expiry_s is None
        assert watcher.wait_for(lambda: [m.payload for m in watcher.on(TOPICS.door_state)][-2:]
                                == [b"UNLOCKED", b"LOCKED"])
        late = Subscriber(broker, "edge/door-1/#")
        time.sleep(0.5)
        assert TOPICS.door_command not in {m.topic for m in late.messages}
        assert [m.payload for m in late.on(TOPICS.door_state)] == [b"LOCKED"]  # a state: retained
        watcher.close()
        late.close()
    finally:
        sink.close()


def start_agent(broker: Broker, state_dir: Path) -> DoorAgent:
    door = DoorAgent(door_settings(broker, state_dir), SimulatedRelay(initial_unlocked=False))
    door.start()
    assert door.connection.wait_connected(5)
    time.sleep(0.2)  # its SUBACK
    return door


def command(**kwargs: object) -> bytes:
    fields = {"device": "door-1", "door": "front", "action": "unlock", "ttl_s": 5.0,
              "source": "access"} | kwargs
    return encode(new_command(SECRET, **fields))  # type: ignore[arg-type]


def test_late_forged_tampered_wrong_door_and_replayed_commands_are_refused(
    broker: Broker, tmp_path: Path
) -> None:
    agent = start_agent(broker, tmp_path)
    valid = command()
    tampered = json.loads(command(action="lock"))
    tampered["action"] = "unlock"
    try:
        send(broker, command(now=time.time() - 6))  # delivered after its 5 s time-to-live
        send(broker, encode(new_command("not-the-secret", device="door-1", door="front",
                                        action="unlock", ttl_s=5, source="access")))
        send(broker, json.dumps(tampered).encode())
        send(broker, command(door="back"))
        send(broker, command(now=time.time() + 60))  # issued in the future
        send(broker, b"\xff not json")
        send(broker, valid)
        send(broker, valid)  # replayed
        assert wait_until(lambda: sum(agent.rejected.values()) == 7, 5), agent.rejected
        assert agent.rejected == {"expired": 1, "bad_signature": 2, "wrong_door": 1,
                                  "not_yet_valid": 1, "malformed": 1, "replayed": 1}
        assert [c.nonce for c in agent.executed] == [json.loads(valid)["nonce"]]
    finally:
        agent.stop()
    # Someone retains a fresh, validly signed command while no agent listens; the agent that
    # starts next gets it as a retained message and refuses it. The replay cache is on disk:
    # the restarted agent also refuses the command executed before.
    send(broker, command(), retain=True)
    restarted = start_agent(broker, tmp_path)
    try:
        assert wait_until(lambda: restarted.rejected["replayed"] == 1, 5)
        with pytest.raises(CommandRejected, match="replayed"):
            restarted.execute(valid)
        assert restarted.executed == []
        assert states(restarted.relay) == [False]  # type: ignore[arg-type]
    finally:
        restarted.stop()
        publish.single(TOPICS.door_command, b"", retain=True, hostname=broker.host, port=broker.port)


def test_door_commands_are_dropped_not_queued_while_the_broker_is_away(tmp_path: Path) -> None:
    broker = Broker(tmp_path)
    sink = MqttSink(door_settings(broker, tmp_path / "appliance"))
    try:
        sink.handle(access_event("granted", "ann"))
        assert sink.counters == {"door_commands_sent": 0, "door_commands_dropped": 1}
        assert sink.backlog == 1  # the access event waits in the outbox; the command does not
        broker.start()
        watcher = Subscriber(broker, "edge/door-1/#")
        assert watcher.wait_for(lambda: len(watcher.on(TOPICS.access)) == 1, 10)
        time.sleep(0.5)
        assert watcher.on(TOPICS.door_command) == []
        watcher.close()
    finally:
        sink.close()
        broker.stop()


def test_home_assistant_lock_commands_become_signed_door_commands(
    broker: Broker, tmp_path: Path, agent: DoorAgent
) -> None:
    # Left retained by a misconfigured client before the appliance starts: a replay waiting to happen.
    publish.single(TOPICS.lock_set, b"UNLOCK", retain=True, hostname=broker.host, port=broker.port)
    sink = MqttSink(door_settings(broker, tmp_path / "appliance"))
    try:
        assert sink.connection.wait_connected(5)
        time.sleep(0.5)
        assert agent.executed == [] and sink.counters["door_commands_sent"] == 0
        publish.single(TOPICS.lock_set, b"", retain=True, hostname=broker.host, port=broker.port)
        publish.single(TOPICS.lock_set, b"OPEN", hostname=broker.host, port=broker.port)
        assert wait_until(lambda: len(agent.executed) == 1, 5)
        assert agent.executed[0].source == "homeassistant" and agent.executed[0].action == "unlock"
    finally:
        sink.close()


@pytest.mark.parametrize(("fail_mode", "fail_state"), [("safe", "unlocked"), ("secure", "locked")])
def test_edge_door_holds_the_fail_state_at_start_and_stop(
    broker: Broker, tmp_path: Path, fail_mode: str, fail_state: str
) -> None:
    journal = tmp_path / "relay.log"
    env = os.environ | {
        "EDGE_DEVICE__ID": "door-1", "EDGE_SERVICE__STATE_DIR": str(tmp_path),
        "EDGE_MQTT__HOST": broker.host, "EDGE_MQTT__PORT": str(broker.port),
        "EDGE_MQTT__DOOR_SECRET": SECRET, "EDGE_DOOR__FAIL_MODE": fail_mode,
    }
    env.pop("EDGE_CONFIG", None)
    watcher = Subscriber(broker, TOPICS.door_state, TOPICS.door_availability)
    agent = subprocess.Popen([sys.executable, "-m", "edge", "door", "--dry-run", "--journal", str(journal)],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert watcher.wait_for(lambda: watcher.on(TOPICS.door_state) != [], 10)
        assert journal.read_text().split() == [fail_state] + (["locked"] if fail_state == "unlocked" else [])
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(10) == 0
        assert journal.read_text().split()[-1] == fail_state
        assert watcher.wait_for(lambda: [m.payload for m in watcher.on(TOPICS.door_availability)][-1:]
                                == [b"offline"])
        assert SECRET.encode() not in agent.communicate()[1]  # never logged
    finally:
        agent.kill()
        watcher.close()


@pytest.mark.parametrize(("args", "env", "message"), [
    (["door", "--dry-run"], {}, "mqtt.door_secret: the door agent needs the secret"),
    (["door"], {"EDGE_MQTT__DOOR_SECRET": SECRET}, "gpiozero is not installed"),
])
def test_edge_door_explains_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    args: list[str], env: dict[str, str], message: str
) -> None:
    if "gpiozero" in message and importlib.util.find_spec("gpiozero") is not None:
        pytest.skip("gpiozero is installed here")

    monkeypatch.delenv("EDGE_CONFIG", raising=False)
    monkeypatch.setenv("EDGE_SERVICE__STATE_DIR", str(tmp_path))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
