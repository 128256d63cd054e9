"""Settings of the local backend (on-device descriptor + gallery)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from edge.config.base import Section
from edge.identify.plugin import BackendSection


class LocalBackendConfig(BackendSection):
    type: Literal["local"] = "local"
    calibration: Path | None = Field(
        None,
        description="Score-to-false-accept table of the descriptor; empty = the one shipped "
        "next to the model",
    )


class SiteCalibrationSettings(Section):
    """The door measures its own population (see edge.identify.local.site)."""

    enabled: bool = Field(
        True, description="Calibrate on this door's people and cohort; the door uses the stricter of "
        "this site table and the shipped one"
    )
    path: Path | None = Field(
        None, description="Site calibration file (thresholds only); empty = <service.state_dir>/"
        "site_calibration.json"
    )
    cohort_path: Path | None = Field(
        None, description="Descriptors of faces seen and never identified (sealed with the gallery "
        "key; no images); empty = <service.state_dir>/cohort-<descriptor model>.sqlite"
    )
    cohort_max_faces: int = Field(5000, ge=0, description="At most this many cohort faces (oldest go first)")
    cohort_retention_days: float = Field(
        180.0, gt=0, description="Cohort faces older than this are forgotten"
    )
    cohort_folder: Path | None = Field(
        None, description="Optional site folder of photos of people who are not enrolled (read by "
        "'edge calibrate --site' and at start)"
    )
    interval_s: float = Field(
        86400.0, gt=0, description="Recalibrate at least this often (and whenever enrollment changes)"
    )
