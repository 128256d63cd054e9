"""Connection faults a door meets in the field, against a real Mosquitto: two devices with the
same client id, and a broker that is not there yet."""

from __future__ import annotations

import logging
import re
import time

import pytest

from edge.events.config import MqttSettings
from edge.events.connection import Identity, MqttConnection
from tests.support.mosquitto import Broker, free_port


def connection(port: int, name: str) -> MqttConnection:
    return MqttConnection(MqttSettings(host="127.0.0.1", port=port),
                          Identity("edge-raspberrypi", f"edge/{name}/availability"))


def test_two_devices_with_one_client_id_back_off_and_say_why(broker: Broker,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    """Each takes the session from the other: the waits grow (1 s fixed before: 40 flips in 20 s)
    and the log names the shared client id."""
    first, second = connection(broker.port, "a"), connection(broker.port, "b")
    connects = 0

    def count() -> None:
        nonlocal connects
        connects += 1

    first.on_connect.append(count)
    second.on_connect.append(count)
    with caplog.at_level(logging.INFO, logger="edge.events.connection"):
        first.start()
        second.start()
        time.sleep(10)
        first.stop()
        second.stop()
    waits = [int(w) for w in re.findall(r"[Rr]econnecting in (\d+) s", caplog.text)]
    assert len(waits) >= 3 and waits == sorted(waits) and waits[-1] >= 4, waits
    assert connects <= 8  # 2, then one per growing wait: 2 s, 4 s, 8 s
    assert "does another device use the client id 'edge-raspberrypi'" in caplog.text


def test_waiting_for_a_broker_is_said_once_without_errors(caplog: pytest.LogCaptureFixture) -> None:
    waiting = connection(free_port(), "c")
    with caplog.at_level(logging.DEBUG):
        waiting.start()
        time.sleep(3.5)  # paho tries at 1 s, 2 s (backoff), ...
        waiting.stop()
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    told = [r.getMessage() for r in caplog.records if "not reachable" in r.getMessage()]
    assert len(told) == 1 and told[0].startswith("mqtt: broker 127.0.0.1:")
