"""Put the console together from the running appliance's parts (called by ``edge.service.main``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from starlette.types import ASGIApp

from edge.access.zone import DoorZone
from edge.config.settings import Settings
from edge.events.base import EventSink
from edge.gallery.enroll import Enrollment
from edge.gallery.store import GalleryStore
from edge.identify.base import Backend
from edge.identify.chain import BackendChain
from edge.service.health import HealthState
from edge.service.metrics import Metrics
from edge.service.records import AuditLog
from edge.ui.auth import read_password_hash
from edge.ui.live import LiveView
from edge.ui.parts import BrokerState, ConsoleParts, DoorPulse

log = logging.getLogger(__name__)


def live_view(settings: Settings, gallery: GalleryStore) -> LiveView:
    def name_of(person_id: str) -> str | None:
        person = gallery.person(person_id)
        return person.name if person else None

    zone = DoorZone(settings.access.door_zone)

    def draw_zone(image: np.ndarray, scale: float) -> None:  # corners are fractions: any scale fits
        zone.draw(image)

    return LiveView(name_of, max_fps=settings.ui.live_fps, jpeg_quality=settings.ui.live_jpeg_quality,
                    zone_overlay=draw_zone)


def _door_and_broker(sinks: Sequence[EventSink]) -> tuple[DoorPulse, BrokerState]:
    from edge.events.mqtt import MqttSink

    mqtt = next((s for s in sinks if isinstance(s, MqttSink)), None)

    def pulse() -> str | None:
        if mqtt is None:
            return "MQTT is off (mqtt.enabled): the door agent takes its commands from the broker"
        if mqtt.send_door_command("unlock", source="console"):
            return None
        return "no door secret (mqtt.door_secret_file) or the broker is not connected"

    return pulse, lambda: None if mqtt is None else mqtt.connection.connected


def console(settings: Settings, *, live: LiveView, enrollment: Enrollment, audit: AuditLog,
            chain: BackendChain, backends: Sequence[Backend], health: HealthState, metrics: Metrics,
            sinks: Sequence[EventSink]) -> ASGIApp | None:
    """The console's ASGI app, or None while it is off (``ui.enabled`` false, or no password set)."""
    if not settings.ui.enabled:
        return None
    password_hash = read_password_hash(settings.ui_password_path)
    if password_hash is None:
        log.info("web console off: no admin password yet ('edge ui password' writes %s)",
                 settings.ui_password_path)
        return None
    from edge.ui.app import console_app  # starlette, jinja2, argon2 and the doctor: only when it serves

    door_pulse, broker = _door_and_broker(sinks)
    parts = ConsoleParts(settings, enrollment, audit, chain, backends, health, metrics, live,
                         door_pulse, broker)
    log.info("web console on http://%s:%d/ (user %s)", settings.service.health_host,
             settings.service.health_port, settings.ui.user)
    return console_app(parts, password_hash)
