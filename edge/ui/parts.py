"""What the console reads and changes in the running appliance, handed over by the service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from edge.config.settings import Settings
from edge.gallery.enroll import Enrollment
from edge.identify.base import Backend
from edge.identify.chain import BackendChain
from edge.service.health import HealthState
from edge.service.metrics import Metrics
from edge.service.records import AuditLog
from edge.ui.live import LiveView

# Send a signed unlock command to the door agent (the MQTT sink's door path, source "console");
# returns None when sent, else why not.
DoorPulse = Callable[[], str | None]
# Whether the MQTT broker is connected now; None when MQTT is off.
BrokerState = Callable[[], bool | None]


@dataclass
class ConsoleParts:
    settings: Settings
    enrollment: Enrollment
    audit: AuditLog
    chain: BackendChain
    backends: Sequence[Backend]
    health: HealthState
    metrics: Metrics
    live: LiveView
    door_pulse: DoorPulse
    broker: BrokerState
