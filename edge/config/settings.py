"""The whole appliance's settings: a TOML file overridden by ``EDGE_...`` environment variables.

Precedence, highest first: environment (``EDGE_MQTT__HOST``, nested keys joined by ``__``), the
TOML file (``--config``, ``EDGE_CONFIG``, or ``/etc/edge/edge.toml`` when it exists), defaults.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from edge.access.config import AccessSettings
from edge.capture.config import CameraSettings
from edge.errors import ConfigError
from edge.events.config import DoorAgentSettings, JsonlSettings, MqttSettings
from edge.gallery.config import GallerySettings, OfflineSettings
from edge.identify.config import IdentifySettings
from edge.identify.local.config import SiteCalibrationSettings
from edge.service.config import DeviceSettings, ServiceSettings
from edge.ui.config import UiSettings
from edge.vision.config import VisionSettings

if sys.version_info >= (3, 11):
    import tomllib
else:  # Jetson images ship Python 3.10
    import tomli as tomllib

INSTALLED_CONFIG = Path("/etc/edge/edge.toml")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="EDGE_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )
    _toml_file: ClassVar[Path | None] = None

    device: DeviceSettings = Field(default_factory=DeviceSettings)
    camera: CameraSettings = Field(default_factory=CameraSettings)
    vision: VisionSettings = Field(default_factory=VisionSettings)
    identify: IdentifySettings = Field(default_factory=IdentifySettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    calibration: SiteCalibrationSettings = Field(default_factory=SiteCalibrationSettings)
    gallery: GallerySettings = Field(default_factory=GallerySettings)
    offline: OfflineSettings = Field(default_factory=OfflineSettings)
    mqtt: MqttSettings = Field(default_factory=MqttSettings)
    jsonl: JsonlSettings = Field(default_factory=JsonlSettings)
    door: DoorAgentSettings = Field(default_factory=DoorAgentSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    ui: UiSettings = Field(default_factory=UiSettings)

    @model_validator(mode="after")
    def _pad_sensors_configured(self) -> Settings:
        """A hardware PAD method without its camera is a start-up error, never a skipped check."""
        pad = self.vision.pad
        for method in pad.methods if pad.enabled else []:
            if method.type == "infrared" and not self.camera.ir.enabled:
                raise ValueError("vision.pad method 'infrared' needs camera.ir (the IR camera)")
            if method.type == "depth" and not self.camera.depth.enabled:
                raise ValueError("vision.pad method 'depth' needs camera.depth (the depth camera)")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if cls._toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=cls._toml_file))
        return tuple(sources)

    @property
    def mqtt_prefix(self) -> str:
        return self.mqtt.prefix or f"edge/{self.device.id}"

    @property
    def gallery_path(self) -> Path:
        return self.gallery.path or self.service.state_dir / "gallery.sqlite"

    @property
    def site_calibration_path(self) -> Path:
        return self.calibration.path or self.service.state_dir / "site_calibration.json"

    @property
    def cohort_path(self) -> Path:
        """One cohort per descriptor model: descriptors of two models must never be compared."""
        return (self.calibration.cohort_path
                or self.service.state_dir / f"cohort-{self.vision.descriptor_model}.sqlite")

    @property
    def ui_password_path(self) -> Path:
        return self.ui.password_file or self.service.state_dir / "ui-password"

    @property
    def outbox_path(self) -> Path:
        return self.mqtt.outbox_path or self.service.state_dir / "outbox.sqlite"


def config_path(explicit: Path | None = None) -> Path | None:
    """The TOML file to read: explicit, else $EDGE_CONFIG, else the installed one if present."""
    if explicit is not None:
        return explicit
    if env := os.environ.get("EDGE_CONFIG"):
        return Path(env)
    return INSTALLED_CONFIG if INSTALLED_CONFIG.exists() else None


def _describe(error: Any) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif "input" in error and not isinstance(error["input"], dict | list):
        shown = error["input"]
        if any(word in key for word in ("secret", "password", "key")):
            shown = "***"
        message += f" (got {shown!r})"
    return f"{key}: {message}"


def load_settings(path: Path | None = None, **overrides: Any) -> Settings:
    """Read and validate the settings; raise :class:`ConfigError` with one line per problem."""
    toml_file = config_path(path)
    if toml_file is not None:
        try:
            with toml_file.open("rb") as handle:
                tomllib.load(handle)
        except FileNotFoundError as exc:
            raise ConfigError([f"config file {toml_file}: not found"]) from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError([f"config file {toml_file}: not valid TOML: {exc}"]) from exc
        except UnicodeDecodeError as exc:
            raise ConfigError([f"config file {toml_file}: not UTF-8 text (byte {exc.start})"]) from exc
        except RecursionError as exc:
            raise ConfigError([f"config file {toml_file}: nested too deeply"]) from exc
        except OSError as exc:
            raise ConfigError([f"config file {toml_file}: {exc.strerror}"]) from exc
    Settings._toml_file = toml_file
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError([_describe(e) for e in exc.errors()]) from exc
    except SettingsError as exc:  # an EDGE_* variable that is not the JSON its field needs
        raise ConfigError([f"environment: {exc} (a list or table in an EDGE_* variable is JSON, "
                           """e.g. EDGE_ACCESS__GROUPS='["staff", "visitors"]')"""]) from exc
    finally:
        Settings._toml_file = None
