"""Test helpers: a recording MQTT subscriber, settings pointed at a test broker, events."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from edge.access.event import AccessEvent
from edge.config.settings import Settings
from tests.support.mosquitto import Broker


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool
    expiry_s: int | None = None  # MQTT 5 message expiry interval, if the publisher set one
    redelivered: bool = False  # DUP: the broker sent it to this subscriber before, unacknowledged

    def json(self) -> Any:
        return json.loads(self.payload)


class Subscriber:
    """A real MQTT client recording what it receives; re-subscribes on every connect.

    ``session=True`` asks the broker for a persistent session (fixed client id, no clean
    start), so that a persistent broker queues QoS 1 messages for it while it is away.
    """

    def __init__(self, broker: Broker, *topics: str, session: bool = False, client_id: str = "",
                 username: str | None = None, password: str | None = None,
                 port: int | None = None, ca: Path | None = None) -> None:
        self.messages: list[Received] = []
        self._cond = threading.Condition()
        self.subscribed = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=paho.MQTTv5)
        self.client.reconnect_delay_set(1, 1)
        if username:
            self.client.username_pw_set(username, password)
        if ca:
            self.client.tls_set(ca_certs=str(ca))
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe([(t, 1) for t in topics])
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self.subscribed.set()
        self.client.on_message = self._on_message
        props = None
        if session:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 3600
        self.client.connect(broker.host, port or broker.port, clean_start=not session, properties=props)
        self.client.loop_start()
        assert self.subscribed.wait(5), "subscriber did not get its SUBACK"

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        with self._cond:
            expiry = getattr(msg.properties, "MessageExpiryInterval", None)
            self.messages.append(Received(msg.topic, bytes(msg.payload), bool(msg.retain), expiry,
                                          bool(msg.dup)))
            self._cond.notify_all()

    def on(self, topic: str) -> list[Received]:
        with self._cond:
            return [m for m in self.messages if m.topic == topic]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.2))
        return True

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def settings_for(broker: Broker, state_dir: Path, **mqtt: Any) -> Settings:
    door = mqtt.pop("door", {})
    return Settings.model_validate({
        "device": {"id": "door-1", "door": "front", "name": "Front door"},
        "service": {"state_dir": str(state_dir)},
        "mqtt": {"host": broker.host, "port": broker.port} | mqtt,
        "door": door,
    })


def access_event(decision: str = "denied", person_id: str | None = None) -> AccessEvent:
    reason = "recognized" if decision == "granted" else "unknown"
    return AccessEvent(device="door-1", door="front", decision=decision,
                       reason=reason, person_id=person_id, person_name=person_id and person_id.title())


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
