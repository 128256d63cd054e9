"""Home Assistant MQTT discovery: the appliance as one device with its entities.

Per-component discovery topics ``<discovery_prefix>/<component>/<node_id>/<object_id>/config``,
retained (Home Assistant's convention for configs; no event or command is ever retained).
Each config carries the device block, ``unique_id``, an ``origin`` and availability. Configs are
published on every connect and again whenever Home Assistant says ``online`` on its status
topic; an empty retained payload deletes an entity (a person removed from the gallery).

Nothing is slugged: the node id is ``edge_<device.id>`` as it is (the device id's characters are
all allowed in a topic segment), a person's object id is ``person_`` + :func:`escape` of the id,
``unique_id`` is ``edge:<device.id>:<key>``; two devices or two people never share one. No
``default_entity_id`` is suggested: Home Assistant names entities after the device and entity
names and de-duplicates them itself, while our identities stay exact.

**Clash check.** On every connect, before publishing, the appliance reads the retained configs
under the discovery prefix (a sentinel message it sends to itself marks the end of them). A
config at one of its own topics, or with one of its ``unique_id``, that belongs to another
appliance (its availability topic is not ours) is never overwritten: discovery stops with
:attr:`Discovery.clash` set and logged, and :meth:`Discovery.check` raises it at start. Stale
configs of this appliance (a person removed while it was away, the topics of an older version)
are deleted.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from typing import Any

import paho.mqtt.client as paho

from edge import __version__
from edge.config.settings import Settings
from edge.errors import ConfigError
from edge.events.connection import ONLINE, MqttConnection
from edge.events.topics import Topics

log = logging.getLogger(__name__)

ORIGIN = {"name": "edge-face-door", "sw_version": __version__}
_KEPT = re.compile(r"[A-Za-z0-9-]")


def escape(text: str) -> str:
    """``text`` as a discovery topic segment (``[A-Za-z0-9_-]``), one-to-one: letters, digits and
    ``-`` stay, every other character becomes ``_`` + the hex of its UTF-8 bytes
    (``ann.lee`` -> ``ann_2elee``, ``Ann_Lee`` -> ``Ann_5fLee``)."""
    return "".join(c if _KEPT.fullmatch(c) else "".join(f"_{b:02x}" for b in c.encode()) for c in text)


def _from_edge(config: dict[str, Any]) -> bool:
    """Published by this software (any version): ours to delete when it is our own and stale."""
    origin = config.get("origin")
    return isinstance(origin, dict) and origin.get("name") == ORIGIN["name"]


def _owners(config: dict[str, Any]) -> set[str]:
    """The availability topics a config names: whose entity it is."""
    topics = {a.get("topic") for a in config.get("availability") or [] if isinstance(a, dict)}
    topics |= {config.get("availability_topic"), config.get("state_topic")}
    return {t for t in topics if isinstance(t, str)}


class Discovery:
    """Publishes the device's discovery configs and keeps per-person entities in step."""

    def __init__(self, settings: Settings, topics: Topics, connection: MqttConnection) -> None:
        self.settings = settings
        self.topics = topics
        self.connection = connection
        self.prefix = settings.mqtt.homeassistant.discovery_prefix.rstrip("/")
        self.node = f"edge_{settings.device.id}"
        self.clash: str | None = None  # why discovery is not published, once the check found one
        self._lock = threading.Lock()
        self._persons: dict[str, str] = {}
        self._checked = threading.Event()  # this connection's clash check is done
        self._cleared = False  # ... and found no clash: configs may be published
        self._retained: dict[str, dict[str, Any]] = {}  # topic -> retained config seen in the check
        self._sentinel = f"{topics.prefix}/discovery-check/{uuid.uuid4().hex}"
        connection.on_connect.append(self._start_check)
        connection.route(f"{self.prefix}/status", self._on_ha_status)
        for pattern in (f"{self.prefix}/+/+/config", f"{self.prefix}/+/+/+/config"):
            connection.route(pattern, self._on_config)
        connection.route(self._sentinel, self._on_sentinel)

    # -- what the gallery calls ------------------------------------------------------------

    def person_added(self, person_id: str, name: str) -> None:
        with self._lock:
            self._persons[person_id] = name
            publish = self._cleared and self.connection.connected
        if publish:
            self._publish(*self.person_config(person_id, name))

    def person_removed(self, person_id: str) -> None:
        """Delete the person's entity now, or at the next connect (the check finds it stale)."""
        with self._lock:
            self._persons.pop(person_id, None)
            publish = self._cleared and self.connection.connected
        if publish:
            self._publish(self.person_topic(person_id), None)

    def check(self, timeout_s: float) -> None:
        """At start: wait up to ``timeout_s`` for the connection's clash check; ConfigError if it
        found another appliance's entities at ours (a broker still away is not an error: the
        check runs at connect, and discovery stays unpublished if it fails then)."""
        self._checked.wait(timeout_s)
        if self.clash:
            raise ConfigError([self.clash])

    # -- the configs -----------------------------------------------------------------------

    def _topic(self, component: str, object_id: str) -> str:
        return f"{self.prefix}/{component}/{self.node}/{object_id}/config"

    def _base(self, key: str, name: str | None) -> dict[str, Any]:
        device = self.settings.device
        return {
            "name": name,
            "unique_id": f"edge:{device.id}:{key}",
            "device": {
                "identifiers": [self.node],
                "name": device.name,
                "manufacturer": "edge",
                "model": "Face recognition door",
                "sw_version": __version__,
            },
            "origin": ORIGIN,
            "availability": [{"topic": self.topics.availability}],
        }

    def device_configs(self) -> dict[str, dict[str, Any]]:
        """Topic -> config of the device-level entities."""
        access = self.topics.access
        configs = {
            self._topic("event", "access"): self._base("access", "Access") | {
                "state_topic": access,
                "event_types": ["granted", "denied"],
                "value_template": "{{ {'event_type': value_json.decision, 'reason': value_json.reason,"
                                  " 'person': value_json.person_name} | to_json }}",
                "icon": "mdi:door",
            },
            self._topic("sensor", "last_person"): self._base("last_person", "Last person") | {
                "state_topic": access,
                "value_template": "{{ value_json.person_name if value_json.person_name else 'unknown' }}",
                "icon": "mdi:account",
            },
            self._topic("binary_sensor", "connectivity"): self._base("connectivity", "Connectivity") | {
                "state_topic": self.topics.availability,
                "payload_on": ONLINE,
                "payload_off": "offline",
                "device_class": "connectivity",
                "entity_category": "diagnostic",
                "availability": [],  # it reports availability itself; never "unavailable"
            },
        }
        if self.settings.mqtt.drives_door:
            lock = self._base("door", "Door") | {
                "command_topic": self.topics.lock_set,
                "state_topic": self.topics.door_state,
                "payload_lock": "LOCK",
                "payload_unlock": "UNLOCK",
                "payload_open": "OPEN",
                "state_locked": "LOCKED",
                "state_unlocked": "UNLOCKED",
                "retain": False,
                "optimistic": False,
            }
            lock["availability"] = [{"topic": self.topics.availability},
                                    {"topic": self.topics.door_availability}]
            lock["availability_mode"] = "all"
            configs[self._topic("lock", "door")] = lock
        return configs

    def person_topic(self, person_id: str) -> str:
        return self._topic("event", f"person_{escape(person_id)}")

    def person_config(self, person_id: str, name: str) -> tuple[str, dict[str, Any]]:
        """An event entity that fires on this person's decisions (its time = last seen)."""
        config = self._base(f"person:{person_id}", name) | {
            "state_topic": self.topics.access,
            "event_types": ["granted", "denied"],
            # Empty for other people's events: Home Assistant ignores an empty payload.
            "value_template": "{% if value_json.person_id == " + json.dumps(person_id) + " %}"
                              "{{ {'event_type': value_json.decision, 'reason': value_json.reason}"
                              " | to_json }}{% endif %}",
            "icon": "mdi:account-check",
        }
        return self.person_topic(person_id), config

    # -- publishing ------------------------------------------------------------------------

    def configs(self) -> dict[str, dict[str, Any]]:
        """Topic -> config of every entity: the device's and one per person."""
        with self._lock:
            persons = dict(self._persons)
        return self.device_configs() | dict(self.person_config(pid, name) for pid, name in persons.items())

    def publish_all(self) -> None:
        if not self._cleared:
            return
        configs = self.configs()
        for topic, config in configs.items():
            self._publish(topic, config)
        log.info("homeassistant: published discovery of %d entities", len(configs))

    def _publish(self, topic: str, config: dict[str, Any] | None) -> None:
        payload = "" if config is None else json.dumps(config, separators=(",", ":"))
        self.connection.publish(topic, payload, qos=1, retain=True)

    def _on_ha_status(self, message: paho.MQTTMessage) -> None:
        if message.payload == ONLINE.encode():
            self.publish_all()

    # -- the clash check (paho's thread) ---------------------------------------------------

    def _start_check(self) -> None:
        """At connect: the routes are subscribed; the sentinel comes back after the retained configs."""
        with self._lock:
            self._cleared = False
            self._retained = {}
        self._checked.clear()
        self.connection.publish(self._sentinel, b"", qos=1, retain=False)

    def _on_config(self, message: paho.MQTTMessage) -> None:
        if not message.retain or self._checked.is_set():
            return
        try:
            config = json.loads(message.payload) if message.payload else None
        except ValueError:
            return  # not a config anyone can use; nothing of ours either
        if isinstance(config, dict):
            with self._lock:
                self._retained[message.topic] = config

    def _on_sentinel(self, message: paho.MQTTMessage) -> None:
        mine = self.topics.availability
        ours = self.configs()
        ids = {c["unique_id"]: topic for topic, c in ours.items()}
        with self._lock:
            retained, self._retained = self._retained, {}
        clashes = [
            f"{topic} ({'unique_id ' + config['unique_id'] if topic not in ours else 'the same topic'})"
            f" belongs to {', '.join(sorted(_owners(config))) or 'an unknown publisher'}"
            for topic, config in sorted(retained.items())
            if mine not in _owners(config) and (topic in ours or config.get("unique_id") in ids)
        ]
        if clashes:
            self.clash = ("homeassistant: another appliance's discovery is at this one's ids: "
                          + "; ".join(clashes) + f". Give this appliance another device.id (now "
                          f"{self.settings.device.id!r}), or delete those retained configs if that "
                          "appliance is gone")
            log.error("%s", self.clash)
            self._checked.set()
            return
        stale = [t for t, c in retained.items() if mine in _owners(c) and _from_edge(c) and t not in ours]
        for topic in stale:  # ours, no longer wanted: a removed person, an older version's topic
            self._publish(topic, None)
        with self._lock:
            self._cleared = True
        self.clash = None
        self.publish_all()
        self._checked.set()
