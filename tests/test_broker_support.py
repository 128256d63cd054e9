from pathlib import Path

import paho.mqtt.publish as publish
import paho.mqtt.subscribe as subscribe
import pytest

from tests.support.mosquitto import Broker


def test_broker_delivers_and_can_be_killed(broker: Broker, tmp_path: Path) -> None:
    publish.single("t/x", b"hello", retain=True, hostname=broker.host, port=broker.port)
    msg = subscribe.simple("t/x", hostname=broker.host, port=broker.port)
    assert msg.payload == b"hello"
    broker.stop()
    with pytest.raises(OSError):
        publish.single("t/x", b"again", hostname=broker.host, port=broker.port)
