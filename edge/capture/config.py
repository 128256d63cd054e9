"""Settings of the frame sources; ``type`` selects the plug-in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from edge.config.base import Section


class OpenCVSourceConfig(Section):
    type: Literal["opencv"] = "opencv"
    uri: str = Field(
        "",
        description="Device index ('0'), '/dev/videoN', an RTSP/HTTP URL, a video file or a "
        "GStreamer pipeline; empty = the bundled demo clip",
    )
    width: int | None = Field(None, gt=0, description="Requested frame width (camera devices)")
    height: int | None = Field(None, gt=0, description="Requested frame height (camera devices)")
    loop: bool = Field(False, description="Restart a video file at its end")
    realtime: bool = Field(
        True, description="Pace a video file at its own frame rate, as a camera would deliver it"
    )
    open_timeout_s: float = Field(
        10.0, gt=0, le=120, description="Give up opening a stream or device after this long "
        "(OpenCV's own default is 30 s)",
    )
    read_timeout_s: float = Field(
        5.0, gt=0, le=120, description="A stream or device silent this long is lost and reopened",
    )


class Picamera2SourceConfig(Section):
    type: Literal["picamera2"] = "picamera2"
    width: int = Field(1280, gt=0)
    height: int = Field(720, gt=0)
    camera_index: int = Field(0, ge=0, description="Which CSI camera")


class FolderSourceConfig(Section):
    type: Literal["folder"] = "folder"
    path: Path = Field(Path("."), description="Folder of images, read in name order")
    fps: float = Field(10.0, gt=0, description="Frames per second to deliver them at")
    loop: bool = False


SourceConfig = Annotated[
    OpenCVSourceConfig | Picamera2SourceConfig | FolderSourceConfig, Field(discriminator="type")
]


class SensorSourceConfig(Section):
    """A second camera for PAD's hardware methods, registered to the colour one."""

    enabled: bool = Field(False, description="Use this camera (a PAD method needs it)")
    source: SourceConfig = Field(default_factory=OpenCVSourceConfig)


class DepthSourceConfig(SensorSourceConfig):
    """A depth camera delivering 8-bit grey frames: depth = near_m + level * unit_m, 0 = none."""

    near_m: float = Field(0.2, ge=0, description="Metres at level 0 (level 0 itself: no reading)")
    unit_m: float = Field(0.004, gt=0, description="Metres per grey level")


class CameraSettings(Section):
    source: SourceConfig = Field(default_factory=OpenCVSourceConfig)
    ir: SensorSourceConfig = Field(
        default_factory=SensorSourceConfig,
        description="Near-infrared camera registered to the colour one (PAD 'infrared')",
    )
    depth: DepthSourceConfig = Field(
        default_factory=DepthSourceConfig,
        description="Depth camera registered to the colour one (PAD 'depth')",
    )
    sensor_max_age_s: float = Field(
        0.5, gt=0, description="An IR/depth frame older than this is missing (PAD fails closed)"
    )
    reopen_initial_s: float = Field(0.5, gt=0, description="First wait before reopening a lost camera")
    reopen_max_s: float = Field(30.0, gt=0, description="Longest wait between reopen attempts")
    reopen_deadline_s: float = Field(
        300.0, ge=0, description="A camera lost this long ends the service (systemd restarts it "
        "with fresh drivers); 0 = keep retrying forever",
    )

    @field_validator("source", mode="before")
    @classmethod
    def _opencv_unless_typed(cls, value: Any) -> Any:
        """``EDGE_CAMERA__SOURCE__REALTIME=false`` alone means the default (OpenCV) source."""
        if isinstance(value, dict) and "type" not in value:
            return {"type": "opencv", **value}
        return value
