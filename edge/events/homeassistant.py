"""Home Assistant MQTT discovery: the appliance as one device with its entities.

Per-component discovery topics ``<discovery_prefix>/<component>/<node_id>/<object_id>/config``,
retained (Home Assistant's convention for configs; no event or command is ever retained).
Each config carries the device block, ``unique_id``, ``default_entity_id`` (``<domain>.<slug>``,
which replaces the deprecated ``object_id``), an ``origin`` and availability. Configs are
published on every connect and again whenever Home Assistant says ``online`` on its status
topic; an empty retained payload deletes an entity (a person removed from the gallery).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any

import paho.mqtt.client as paho

from edge import __version__
from edge.config.settings import Settings
from edge.events.connection import ONLINE, MqttConnection
from edge.events.topics import Topics

log = logging.getLogger(__name__)

ORIGIN = {"name": "edge-face-door", "sw_version": __version__}


def slug(text: str) -> str:
    """Lower-case letters, digits and underscores: safe in topics and entity ids."""
    return re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "x"


class Discovery:
    """Publishes the device's discovery configs and keeps per-person entities in step."""

    def __init__(self, settings: Settings, topics: Topics, connection: MqttConnection) -> None:
        self.settings = settings
        self.topics = topics
        self.connection = connection
        self.prefix = settings.mqtt.homeassistant.discovery_prefix.rstrip("/")
        self.node = slug(f"edge_{settings.device.id}")
        self._lock = threading.Lock()
        self._persons: dict[str, str] = {}
        self._removed: set[str] = set()
        connection.on_connect.append(self.publish_all)
        connection.route(f"{self.prefix}/status", self._on_ha_status)

    # -- what the gallery calls ------------------------------------------------------------

    def person_added(self, person_id: str, name: str) -> None:
        with self._lock:
            self._persons[person_id] = name
            self._removed.discard(person_id)
        if self.connection.connected:
            self._publish(*self.person_config(person_id, name))

    def person_removed(self, person_id: str) -> None:
        """Delete the person's entity now, or at the next connect if offline."""
        with self._lock:
            self._persons.pop(person_id, None)
            if not self.connection.connected:
                self._removed.add(person_id)
                return
        self._publish(self.person_topic(person_id), None)

    # -- the configs -----------------------------------------------------------------------

    def _topic(self, component: str, object_id: str) -> str:
        return f"{self.prefix}/{component}/{self.node}/{object_id}/config"

    def _base(self, component: str, key: str, name: str | None) -> dict[str, Any]:
        device = self.settings.device
        return {
            "name": name,
            "unique_id": f"{self.node}_{key}",
            "default_entity_id": f"{component}.{self.node}_{key}",
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
            self._topic("event", "access"): self._base("event", "access", "Access") | {
                "state_topic": access,
                "event_types": ["granted", "denied"],
                "value_template": "{{ {'event_type': value_json.decision, 'reason': value_json.reason,"
                                  " 'person': value_json.person_name} | to_json }}",
                "icon": "mdi:door",
            },
            self._topic("sensor", "last_person"): self._base("sensor", "last_person", "Last person") | {
                "state_topic": access,
                "value_template": "{{ value_json.person_name if value_json.person_name else 'unknown' }}",
                "icon": "mdi:account",
            },
            self._topic("binary_sensor", "connectivity"): self._base(
                "binary_sensor", "connectivity", "Connectivity") | {
                "state_topic": self.topics.availability,
                "payload_on": ONLINE,
                "payload_off": "offline",
                "device_class": "connectivity",
                "entity_category": "diagnostic",
                "availability": [],  # it reports availability itself; never "unavailable"
            },
        }
        if self.settings.mqtt.drives_door:
            lock = self._base("lock", "door", "Door") | {
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
        return self._topic("event", f"person_{slug(person_id)}")

    def person_config(self, person_id: str, name: str) -> tuple[str, dict[str, Any]]:
        """An event entity that fires on this person's decisions (its time = last seen)."""
        key = f"person_{slug(person_id)}"
        config = self._base("event", key, name) | {
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

    def publish_all(self) -> None:
        configs = self.device_configs()
        for topic, config in configs.items():
            self._publish(topic, config)
        with self._lock:
            persons = dict(self._persons)
            removed, self._removed = self._removed, set()
        for person_id, name in persons.items():
            self._publish(*self.person_config(person_id, name))
        for person_id in removed:
            self._publish(self.person_topic(person_id), None)
        log.info("homeassistant: published discovery of %d entities", len(configs) + len(persons))

    def _publish(self, topic: str, config: dict[str, Any] | None) -> None:
        payload = "" if config is None else json.dumps(config, separators=(",", ":"))
        self.connection.publish(topic, payload, qos=1, retain=True)

    def _on_ha_status(self, message: paho.MQTTMessage) -> None:
        if message.payload == ONLINE.encode():
            self.publish_all()
