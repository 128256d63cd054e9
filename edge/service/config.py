"""Settings of the running service."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import Field

from edge.config.base import Section


def _default_state_dir() -> Path:
    """systemd's StateDirectory= when run as the unit, else the user's XDG state folder."""
    if state := os.environ.get("STATE_DIRECTORY"):
        return Path(state.split(":")[0])
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "edge"


class DeviceSettings(Section):
    id: str = Field(
        default_factory=lambda: socket.gethostname().split(".")[0] or "edge",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Stable device id: MQTT client id, topics, Home Assistant device",
    )
    name: str = Field("Door", description="Human-readable name")
    door: str = Field("front", pattern=r"^[A-Za-z0-9_-]+$", description="Door id in events")


class ServiceSettings(Section):
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    state_dir: Path = Field(default_factory=_default_state_dir)
    health_host: str = "127.0.0.1"
    health_port: int = Field(9870, ge=0, lt=65536, description="/healthz and /metrics; 0 = off")
    audit_retention_days: int = Field(90, ge=1)
    keep_face_images: bool = Field(False, description="Keep a face crop with each decision")
    face_image_retention_days: int = Field(7, ge=1)
    watchdog_stall_s: float = Field(10.0, gt=0, description="Loop silent this long = stuck")
    health_outbox_max: int = Field(
        100, ge=0, description="/healthz reports degraded when more events wait in the MQTT outbox"
    )
    min_free_mb: int = Field(200, ge=0, description="edge doctor: least free space in state_dir")
    steady_memory: bool = Field(
        False,
        description="Have glibc map and return every buffer of 1 MB or more. Not needed since "
        "onnxruntime's activations stay in one arena: it no longer changes edge run's peak on the demo "
        "(docs/benchmarks.md)",
    )
    clock_reference_url: str | None = Field(
        None,
        description="edge doctor: an HTTP(S) URL whose Date header is the reference time; "
        "empty = the first configured cloud backend",
    )
