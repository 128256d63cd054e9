"""The MQTT topics of one appliance, all under ``Settings.mqtt_prefix`` (default edge/<device.id>)."""

from __future__ import annotations

from dataclasses import dataclass

from edge.config.settings import Settings


@dataclass(frozen=True)
class Topics:
    prefix: str

    @classmethod
    def of(cls, settings: Settings) -> Topics:
        return cls(settings.mqtt_prefix.rstrip("/"))

    @property
    def availability(self) -> str:
        """``online`` / ``offline``, retained; ``offline`` is the appliance's last will."""
        return f"{self.prefix}/availability"

    @property
    def access(self) -> str:
        """Access events, QoS 1, never retained."""
        return f"{self.prefix}/access"

    @property
    def status(self) -> str:
        """Small retained JSON: version, start time, gallery size, last decision."""
        return f"{self.prefix}/status"

    @property
    def door_command(self) -> str:
        """Signed door commands to the door agent, never retained."""
        return f"{self.prefix}/door/command"

    @property
    def door_state(self) -> str:
        """``LOCKED`` / ``UNLOCKED`` from the door agent, retained (a state, not an event)."""
        return f"{self.prefix}/door/state"

    @property
    def door_availability(self) -> str:
        """The door agent's own ``online`` / ``offline`` with its last will."""
        return f"{self.prefix}/door/availability"

    @property
    def lock_set(self) -> str:
        """Home Assistant's lock commands (LOCK / UNLOCK / OPEN) to the appliance."""
        return f"{self.prefix}/lock/set"
