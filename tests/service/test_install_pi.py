"""deploy/install.sh --platform pi on Debian 12, for real: a venv that shares the system's
packages must keep the system's numpy, or every module apt built against it breaks.

Stand-in for Raspberry Pi OS's python3-picamera2/simplejpeg: Debian's python3-pywt, compiled
against Debian's numpy 1.24 (scripts/setup.sh dev installs it). The installer runs pip for real
(about a minute with a warm pip cache). Also here: the device id the installer writes, and the
deploy scripts' help.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
import tomllib

from tests.service.test_install import INSTALL, REPO, run

SYSTEM_PYTHON = Path("/usr/bin/python3")


def system_has_pywt() -> bool:
    return SYSTEM_PYTHON.exists() and subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import pywt"], capture_output=True).returncode == 0


@pytest.mark.skipif(not system_has_pywt(), reason="needs Debian's python3-pywt (scripts/setup.sh dev)")
def test_pi_venv_keeps_the_system_numpy_for_apt_built_modules(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "root"
    root.mkdir()
    monkeypatch.setenv("PYTHON", str(SYSTEM_PYTHON))
    result = run(INSTALL, "--root", str(root), "--platform", "pi", "--device-id", "door-pi", timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    venv = root / "opt" / "edge" / "venv"
    probe = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import pywt, numpy, cv2, onnxruntime, gpiozero; print(numpy.__file__)"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)  # the installed edge, not this checkout
    assert probe.returncode == 0, probe.stderr  # was: ValueError: numpy.dtype size changed
    assert probe.stdout.startswith("/usr/lib/python3/"), probe.stdout  # the system's numpy
    assert not list(venv.glob("lib/python3*/site-packages/numpy"))

    config = root / "etc" / "edge" / "edge.toml"
    settings = tomllib.loads(config.read_text())
    assert settings["device"]["id"] == "door-pi"
    assert settings["camera"]["source"]["type"] == "picamera2"  # with only picamera2's keys:
    check = subprocess.run(  # the settings model accepts the file (models live in /opt, not here)
        [str(venv / "bin" / "python"), "-c",
         f"from pathlib import Path; from edge.config.settings import load_settings; "
         f"load_settings(Path('{config}'))"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)  # the installed edge, not this checkout
    assert check.returncode == 0, check.stderr


def fake_hostname(tmp_path: Path, name: str) -> dict[str, str]:
    """PATH with a `hostname` that answers ``name`` (the machine's own cannot be changed here)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "hostname"
    script.write_text(f"#!/bin/sh\necho {name}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


def test_an_images_default_host_name_is_refused_as_device_id(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in fake_hostname(tmp_path, "raspberrypi").items():
        monkeypatch.setenv(key, value)
    refused = run(INSTALL, "--root", str(tmp_path), "--dry-run", "--platform", "pi")
    assert refused.returncode == 2
    assert "the host name 'raspberrypi' is an image's default" in refused.stderr
    assert "--device-id" in refused.stderr
    confirmed = run(INSTALL, "--root", str(tmp_path), "--dry-run", "--platform", "pi", "--allow-default-id")
    assert confirmed.returncode == 0, confirmed.stderr
    assert '\\"raspberrypi\\"/' in confirmed.stdout
    chosen = run(INSTALL, "--root", str(tmp_path), "--dry-run", "--platform", "pi", "--device-id", "front")
    assert chosen.returncode == 0 and '\\"front\\"/' in chosen.stdout
    bad = run(INSTALL, "--root", str(tmp_path), "--dry-run", "--device-id", "front door")
    assert bad.returncode == 2 and "letters, digits" in bad.stderr


@pytest.mark.parametrize("script", ["install.sh", "uninstall.sh", "wheelhouse.sh"])
def test_help_prints_the_header_and_no_code(script: str) -> None:
    result = run(REPO / "deploy" / script, "--help")
    assert result.returncode == 0
    assert "set -euo" not in result.stdout and "#" not in result.stdout.splitlines()[0]
    assert f"deploy/{script}" in result.stdout
