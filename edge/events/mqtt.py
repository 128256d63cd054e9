"""The MQTT sink: access events through the durable outbox, door commands, status, discovery.

Unlike a publish that silently returns while the broker is away (Frigate's communicator), every
access event is committed to the outbox first and published from there (:mod:`.publisher`).
Door commands are the opposite: sent only while connected, never stored, never retained, and
useless after their time-to-live (signed expiry in the payload, MQTT 5 message expiry).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone
from typing import Any, Literal

import paho.mqtt.client as paho

from edge import __version__
from edge.access.event import AccessEvent
from edge.config.secrets import resolve_secret
from edge.config.settings import Settings
from edge.errors import ConfigError
from edge.events.command import Action, encode, new_command
from edge.events.connection import Identity, MqttConnection
from edge.events.homeassistant import Discovery
from edge.events.outbox import Outbox
from edge.events.publisher import OutboxPublisher
from edge.events.topics import Topics

log = logging.getLogger(__name__)

# Home Assistant lock payload -> door action. OPEN and UNLOCK both release the door for one
# pulse: the appliance drives a strike or maglock, never a door left unlocked indefinitely.
_LOCK_ACTIONS: dict[bytes, Action] = {b"LOCK": "lock", b"UNLOCK": "unlock", b"OPEN": "unlock"}


class MqttSink:
    """An :class:`~edge.events.base.EventSink` publishing to MQTT; connects in the background.

    ``status`` is a settable dict published retained on ``<prefix>/status`` (call
    :meth:`update_status` to change it); ``counters`` counts door commands sent / dropped.
    """

    def __init__(self, settings: Settings, *, start: bool = True) -> None:
        self.settings = settings
        self.topics = Topics.of(settings)
        mqtt = settings.mqtt
        self._door_secret = self._resolve_door_secret(settings)
        self.connection = MqttConnection(
            mqtt, Identity(mqtt.client_id or f"edge-{settings.device.id}", self.topics.availability)
        )
        self.outbox = Outbox(settings.outbox_path, max_events=mqtt.outbox_max_events,
                             max_age_s=mqtt.outbox_max_age.total_seconds())
        self.publisher = OutboxPublisher(self.outbox, self.connection, inflight=mqtt.outbox_inflight)
        self.discovery = Discovery(settings, self.topics, self.connection) \
            if mqtt.homeassistant.discovery else None
        self._status_lock = threading.Lock()
        self.status: dict[str, Any] = {
            "version": __version__,
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "gallery_size": None,
            "last_decision": None,
        }
        self.counters = {"door_commands_sent": 0, "door_commands_dropped": 0}
        self.connection.on_connect.append(self._publish_status)
        if mqtt.drives_door:
            self.connection.route(self.topics.lock_set, self._on_lock_command)
        if start:
            self.start()

    @staticmethod
    def _resolve_door_secret(settings: Settings) -> str | None:
        mqtt = settings.mqtt
        secret = resolve_secret(mqtt.door_secret, mqtt.door_secret_file, "mqtt.door_secret")
        if mqtt.drives_door and not secret:
            raise ConfigError(["mqtt.door_secret: required when mqtt.drives_door is true "
                               "(or set mqtt.door_secret_file)"])
        return secret

    def start(self) -> None:
        self.connection.start()
        self.publisher.start()

    # -- EventSink -------------------------------------------------------------------------

    def handle(self, event: AccessEvent) -> None:
        """On a grant, open the door; commit the event to the outbox (the publisher sends it).

        The door does not wait for the outbox: a failing store (raised here, and reported by
        the runner) must never keep a granted person outside.
        """
        if event.decision == "granted" and self.settings.mqtt.drives_door:
            self.send_door_command("unlock", source="access", event_id=event.id)
        self.outbox.put(event.id, self.topics.access, event.model_dump_json().encode())
        self.publisher.wake()
        self.update_status(last_decision=event.time.isoformat())

    def close(self) -> None:
        self.publisher.stop()
        self.connection.stop()
        self.outbox.close()

    @property
    def backlog(self) -> int:
        """Events committed but not yet acknowledged by the broker."""
        return len(self.outbox)

    # -- door commands ---------------------------------------------------------------------

    def send_door_command(self, action: Action, *,
                          source: Literal["access", "homeassistant", "console"],
                          event_id: str | None = None) -> bool:
        """Publish a signed command if connected right now; else drop it (counted). Never queued."""
        if self._door_secret is None or not self.connection.connected:
            self.counters["door_commands_dropped"] += 1
            log.warning("door command %s dropped: %s", action,
                        "no door secret" if self._door_secret is None else "broker not connected")
            return False
        ttl_s = self.settings.access.unlock_ttl_s
        command = new_command(self._door_secret, device=self.settings.device.id,
                              door=self.settings.device.door, action=action, ttl_s=ttl_s,
                              source=source, event_id=event_id)
        # MQTT 5 expiry is whole seconds and must not outlive the command: floor, at least 1.
        self.connection.publish(self.topics.door_command, encode(command), qos=1, retain=False,
                                expiry_s=max(1, int(ttl_s)))
        self.counters["door_commands_sent"] += 1
        return True

    def _on_lock_command(self, message: paho.MQTTMessage) -> None:
        if message.retain:  # a retained command would replay at every reconnect: refuse it
            log.warning("homeassistant: ignored a retained lock command on %s", message.topic)
            return
        action = _LOCK_ACTIONS.get(bytes(message.payload).strip().upper())
        if action is None:
            log.warning("homeassistant: unknown lock command on %s", message.topic)
            return
        self.send_door_command(action, source="homeassistant")

    # -- status and Home Assistant ---------------------------------------------------------

    def update_status(self, **fields: Any) -> None:
        """Merge ``fields`` into :attr:`status` and publish it (retained) if connected."""
        with self._status_lock:
            self.status.update(fields)
        if self.connection.connected:
            self._publish_status()

    def _publish_status(self) -> None:
        with self._status_lock:
            payload = json.dumps(self.status, separators=(",", ":"), default=str)
        self.connection.publish(self.topics.status, payload, qos=1, retain=True)

    def person_added(self, person_id: str, name: str) -> None:
        """Create the person's Home Assistant entity (called by the gallery at enrollment)."""
        if self.discovery is not None:
            self.discovery.person_added(person_id, name)

    def person_removed(self, person_id: str) -> None:
        """Delete the person's Home Assistant entity (called by the gallery at deletion)."""
        if self.discovery is not None:
            self.discovery.person_removed(person_id)
