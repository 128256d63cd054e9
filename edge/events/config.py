"""Settings of the event sinks: MQTT (with Home Assistant discovery) and JSON lines."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from edge.config.base import Section


def topic_prefix(value: str | None) -> str | None:
    """A topic prefix the appliance publishes under: no MQTT wildcards, no empty level."""
    if value is None:
        return None
    if any(char in value for char in "+#\0") or value.startswith("$"):
        raise ValueError(f"{value!r}: a topic prefix must not hold '+', '#' or NUL, nor start "
                         "with '$' (MQTT wildcards and broker topics)")
    if "//" in value.strip("/") or not value.strip("/"):
        raise ValueError(f"{value!r}: a topic prefix must not have empty levels")
    return value


class HomeAssistantSettings(Section):
    discovery: bool = True
    discovery_prefix: str = "homeassistant"

    _discovery_prefix_is_a_topic = field_validator("discovery_prefix")(topic_prefix)


class MqttSettings(Section):
    enabled: bool = Field(True, description="Publish to an MQTT broker")
    host: str = "127.0.0.1"
    port: int = Field(1883, gt=0, lt=65536)
    protocol: Literal["auto", "5", "3.1.1"] = Field("auto", description="'auto' tries MQTT 5 first")
    username: str | None = None
    password: SecretStr | None = None
    password_file: Path | None = None
    prefix: str | None = Field(None, description="Topic prefix; empty = edge/<device.id>")
    client_id: str | None = Field(None, description="Empty = edge-<device.id>")
    keepalive_s: int = Field(30, ge=5)
    tls_ca_file: Path | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    outbox_path: Path | None = Field(None, description="Empty = <service.state_dir>/outbox.sqlite")
    outbox_max_events: int = Field(100_000, ge=1)
    outbox_max_age: timedelta = Field(timedelta(days=7))
    outbox_inflight: int = Field(
        1, ge=1, le=20, description="Events awaiting the broker's ack at once; 1 = strict order"
    )
    door_secret: SecretStr | None = Field(None, description="HMAC key shared with the door agent")
    door_secret_file: Path | None = None
    drives_door: bool = Field(False, description="Publish signed door commands on a grant")
    homeassistant: HomeAssistantSettings = Field(default_factory=HomeAssistantSettings)

    _prefix_is_a_topic = field_validator("prefix")(topic_prefix)


class JsonlSettings(Section):
    path: Path | None = Field(None, description="Append access events here; empty = off")


class DoorAgentSettings(Section):
    relay_pin: int = Field(17, ge=0, description="BCM GPIO pin of the lock relay")
    active_high: bool = True
    pulse_s: float = Field(5.0, gt=0, le=60, description="Unlock pulse length")
    fail_mode: Literal["secure", "safe"] = Field(
        "secure", description="Lock state at start, stop and crash: secure = locked, safe = open"
    )
    max_clock_skew_s: float = Field(
        2.0, ge=0, le=60, description="Accept a command issued at most this far in the future"
    )
    max_ttl_s: float = Field(
        60.0, gt=0, le=300,
        description="Refuse a command whose signed time-to-live is longer (access.unlock_ttl_s <= 60)",
    )
    replay_cache_path: Path | None = Field(
        None, description="Seen command nonces; empty = <service.state_dir>/door-nonces.sqlite"
    )
