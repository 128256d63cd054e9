"""The site's PAD operating point: one offset on the fused score, written by ``edge pad calibrate``.

The file is small JSON: ``{"offset": 0.12, "bpcer_target": 0.05, ...}`` (the other keys record
how it was chosen). A missing file means the default operating point (offset 0).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edge.errors import ConfigError
from edge.vision.pad.config import PadSettings

SITE_FILE_NAME = "pad-site.json"


def site_path(pad: PadSettings, state_dir: Path) -> Path:
    return pad.site_file or state_dir / SITE_FILE_NAME


def load_offset(path: Path) -> float:
    """The calibrated offset, 0 when the file does not exist; ConfigError if it is unreadable."""
    if not path.exists():
        return 0.0
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return float(data["offset"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError([f"PAD site file {path}: not a calibration ({exc})"]) from exc


def save_site(path: Path, offset: float, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"offset": offset, **record}, indent=2) + "\n", encoding="utf-8")
