"""systemd/edge.service: the hardening it promises, and systemd's own verdict on it."""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "edge.service"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")


def directives() -> dict[str, list[str]]:
    """``Section.Key`` -> every value given (systemd keys may repeat, e.g. DeviceAllow=)."""
    found: dict[str, list[str]] = defaultdict(list)
    section = ""
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        found[f"{section}.{key}"].append(value)
    return found


def test_notify_watchdog_restart_and_own_user() -> None:
    d = directives()
    expected = {
        "Service.Type": ["notify"], "Service.NotifyAccess": ["main"], "Service.Restart": ["on-failure"],
        "Service.User": ["edge"], "Service.Group": ["edge"], "Service.SupplementaryGroups": ["video gpio"],
        "Service.ExecStart": ["/opt/edge/venv/bin/edge --config /etc/edge/edge.toml run"],
        "Service.Environment": ["EDGE_CONFIG=/etc/edge/edge.toml", "PYTHONUNBUFFERED=1"],
        "Unit.StartLimitIntervalSec": ["0"],
        "Service.StateDirectory": ["edge"], "Service.ConfigurationDirectory": ["edge"],
        "Service.LogsDirectory": ["edge"], "Install.WantedBy": ["multi-user.target"],
    }
    assert {key: d[key] for key in expected} == expected
    assert 10 <= int(d["Service.WatchdogSec"][0]) <= 120


def test_hardening_directives() -> None:
    d = directives()
    expected = {
        "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "", "AmbientCapabilities": "", "DevicePolicy": "closed",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6 AF_NETLINK", "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes", "ProtectControlGroups": "yes", "LockPersonality": "yes",
        "RestrictSUIDSGID": "yes", "RestrictNamespaces": "yes", "SystemCallArchitectures": "native",
    }
    assert {key: d[f"Service.{key}"] for key in expected} == {k: [v] for k, v in expected.items()}
    devices = {value.split()[0] for value in d["Service.DeviceAllow"]}
    assert {"char-video4linux", "char-media", "char-vchiq", "char-dma_heap", "char-gpiochip",
            "char-nvhost*", "/dev/nvmap"} <= devices
    assert all(value.endswith(" rw") for value in d["Service.DeviceAllow"])  # never "m" (mknod)
    assert "Service.MemoryDenyWriteExecute" not in d  # CUDA/TensorRT and cffi need W+X pages


def verifiable_copy(tmp_path: Path) -> Path:
    """The unit with ExecStart's binary swapped for one that exists here: systemd-analyze checks
    that the command is executable, and /opt/edge only exists on an installed device."""
    copy = tmp_path / "edge.service"
    true = shutil.which("true") or "/bin/true"
    copy.write_text(UNIT.read_text().replace("/opt/edge/venv/bin/edge", true))
    return copy


@needs_systemd
def test_systemd_analyze_verify_is_silent(tmp_path: Path) -> None:
    assert SYSTEMD_ANALYZE is not None
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", str(verifiable_copy(tmp_path))],
                            capture_output=True, text=True, timeout=60)
    # verify exits 0 even on unknown keys or bad values: any message at all is a defect
    assert result.returncode == 0 and result.stdout + result.stderr == ""


@needs_systemd
def test_systemd_analyze_security_exposure_is_low(tmp_path: Path) -> None:
    assert SYSTEMD_ANALYZE is not None
    result = subprocess.run([SYSTEMD_ANALYZE, "security", "--offline=true", "--threshold=25",
                             str(verifiable_copy(tmp_path))], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout[-400:]
    assert "Overall exposure level for edge.service: 1." in result.stdout or \
           "Overall exposure level for edge.service: 2." in result.stdout
