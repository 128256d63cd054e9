"""deploy/install.sh and uninstall.sh in a throw-away root: dry run, two real runs, uninstall.

The root's virtual environment is made by the test beforehand (the installer keeps an existing
one) and sees this checkout's dependencies through a .pth file, so the installer's own pip step
installs the package from a wheelhouse offline in seconds instead of downloading onnxruntime.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import paho.mqtt.client as paho
import pytest
import tomllib
from paho.mqtt.enums import CallbackAPIVersion

from tests.events.helpers import Subscriber
from tests.support.mosquitto import Broker

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "deploy" / "install.sh"
UNINSTALL = REPO / "deploy" / "uninstall.sh"


def run(script: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDGE_", "PIP_", "VIRTUAL_ENV"))}
    return subprocess.run(["bash", str(script), *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def tree(root: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every path under ``root`` with its mode and (for files) content."""
    return {
        str(p.relative_to(root)): (p.lstat().st_mode, p.read_bytes() if p.is_file() and not p.is_symlink()
                                   else None)
        for p in sorted(root.rglob("*")) if "site-packages" not in p.parts and "__pycache__" not in p.parts
    }


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this checkout, built from a copy so the checkout gets no build/ folder."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "edge", source / "edge", ignore=shutil.ignore_patterns("__pycache__"))
    out = work / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
                   check=True, capture_output=True, timeout=300)
    return out


def seed_venv(root: Path, deps: Path) -> None:
    """The root's /opt/edge/venv, seeing this checkout's installed dependencies (not edge itself)."""
    venv = root / "opt" / "edge" / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    site = next(venv.glob("lib/python3*/site-packages"))
    (site / "checkout-deps.pth").write_text(f"{deps}\n")


@pytest.fixture(scope="module")
def deps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This venv's site-packages without the editable install of edge."""
    farm = tmp_path_factory.mktemp("deps")
    site = Path(next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()))
    for entry in site.iterdir():
        if entry.name.startswith(("edge", "__editable__", "_virtualenv")) or entry.suffix == ".pth":
            continue
        (farm / entry.name).symlink_to(entry)
    return farm


def test_dry_run_prints_every_action_and_changes_nothing(tmp_path: Path) -> None:
    before = tree(tmp_path)
    result = run(INSTALL, "--root", str(tmp_path), "--dry-run", "--platform", "pi", "--with-mosquitto")
    assert result.returncode == 0, result.stderr
    assert tree(tmp_path) == before == {}
    out = result.stdout
    assert "python3-picamera2" in out and "mosquitto-clients" in out
    assert "useradd --system --gid edge" in out
    assert f"-m venv --system-site-packages {tmp_path}/opt/edge/venv" in out
    assert f"install -m 0644 {REPO}/systemd/edge.service {tmp_path}/etc/systemd/system/edge.service" in out
    assert f"config example --source picamera2 --output {tmp_path}/etc/edge/edge.toml" in out
    assert f"find {tmp_path}/etc/edge/secrets -type f -exec chmod 0640" in out  # shown, not skipped
    assert f"cp -R {REPO}/models/manifest.json {tmp_path}/opt/edge/models/" in out
    assert "models/tools" not in out


def test_jetson_venv_has_no_system_site_packages(tmp_path: Path) -> None:
    result = run(INSTALL, "--root", str(tmp_path), "--dry-run", "--platform", "jetson")
    assert result.returncode == 0
    assert f"-m venv {tmp_path}/opt/edge/venv" in result.stdout and "picamera2" not in result.stdout


def test_bad_options_are_clear(tmp_path: Path) -> None:
    for args, message in [
        (["--frobnicate"], "unknown option --frobnicate"),
        (["--root", str(tmp_path / "absent")], "not a directory"),
        (["--root", str(tmp_path), "--platform", "amiga"], "pi, jetson or generic"),
        (["--root", str(tmp_path), "--wheelhouse", str(tmp_path)], "holds no edge_face_door wheel"),
    ]:
        result = run(INSTALL, *args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)


def test_installs_twice_without_harm_then_uninstalls(tmp_path: Path, wheelhouse: Path, deps: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    seed_venv(root, deps)
    first = run(INSTALL, "--root", str(root), "--wheelhouse", str(wheelhouse), "--platform", "generic")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "skip (--root, host action): useradd" in first.stdout

    etc = root / "etc" / "edge"
    config = tomllib.loads((etc / "edge.toml").read_text())
    assert config["vision"]["models_dir"] == "/opt/edge/models"
    assert config["service"]["state_dir"] == "/var/lib/edge"
    assert config["device"]["id"] == re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname().split(".")[0])
    assert mode(etc) == mode(etc / "secrets") == 0o750 and mode(etc / "edge.toml") == 0o640
    assert mode(root / "var" / "lib" / "edge") == 0o700
    unit = root / "etc" / "systemd" / "system" / "edge.service"
    assert unit.read_bytes() == (REPO / "systemd" / "edge.service").read_bytes()
    models = root / "opt" / "edge" / "models"
    assert (models / "manifest.json").is_file() and not (models / "tools").exists()
    edge = root / "opt" / "edge" / "venv" / "bin" / "edge"
    version = subprocess.run([str(edge), "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("edge")

    # The site edits its configuration and adds a secret; a second run keeps both and fixes modes.
    (etc / "edge.toml").write_text('[device]\nid = "door-7"\n')
    secret = etc / "secrets" / "mqtt.pass"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    state_before = tree(root / "var")
    second = run(INSTALL, "--root", str(root), "--wheelhouse", str(wheelhouse), "--platform", "generic")
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"keeping {etc}/edge.toml" in second.stdout and "keeping the virtual environment" in second.stdout
    assert (etc / "edge.toml").read_text() == '[device]\nid = "door-7"\n'
    assert mode(secret) == 0o640 and secret.read_text() == "s3cret\n"
    assert tree(root / "var") == state_before
    assert subprocess.run([str(edge), "--version"], capture_output=True, timeout=60).returncode == 0

    (root / "var" / "lib" / "edge" / "gallery.sqlite").write_bytes(b"enrolled people")
    kept = run(UNINSTALL, "--root", str(root))
    assert kept.returncode == 0, kept.stderr
    assert not (root / "opt" / "edge").exists() and not unit.exists()
    assert (root / "var" / "lib" / "edge" / "gallery.sqlite").exists() and (etc / "edge.toml").exists()
    purged = run(UNINSTALL, "--root", str(root), "--purge")
    assert purged.returncode == 0, purged.stderr
    assert not (root / "var" / "lib" / "edge").exists() and not etc.exists()
    assert "skip (--root, host action): userdel edge" in purged.stdout


def test_uninstall_dry_run_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "var" / "lib" / "edge").mkdir(parents=True)
    before = tree(tmp_path)
    result = run(UNINSTALL, "--root", str(tmp_path), "--purge", "--dry-run")
    assert result.returncode == 0 and tree(tmp_path) == before
    assert f"rm -rf {tmp_path}/var/lib/edge" in result.stdout


def test_wheelhouse_dry_run_targets_the_device(tmp_path: Path) -> None:
    result = run(REPO / "deploy" / "wheelhouse.sh", "--target", "pi", "--out", str(tmp_path), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert tree(tmp_path) == {}
    download = next(line for line in result.stdout.splitlines() if " pip download " in line)
    assert "--python-version 3.11" in download and "--only-binary=:all:" in download
    assert "--platform manylinux2014_aarch64" in download and "--platform manylinux_2_36_aarch64" in download
    assert "manylinux_2_37" not in download  # Bookworm's glibc is 2.36
    last = result.stdout.splitlines()[-1]
    assert last.startswith(f"wheelhouse: {tmp_path}/edge-bundle-") and last.endswith("-pi.tar.gz")


def test_with_mosquitto_the_broker_is_safe_by_default(tmp_path: Path, wheelhouse: Path, deps: Path) -> None:
    """Issue #19 item 7: on the installer's broker, only the appliance can send a door command,
    and nobody without a password can send Home Assistant's lock command."""
    root = tmp_path / "root"
    root.mkdir()
    seed_venv(root, deps)
    result = run(INSTALL, "--root", str(root), "--wheelhouse", str(wheelhouse), "--platform", "generic",
                 "--with-mosquitto")
    assert result.returncode == 0, result.stdout + result.stderr
    secrets = root / "etc" / "edge" / "secrets"
    passwords = {role: (secrets / f"mqtt-{role}.pass").read_text().strip()
                 for role in ("appliance", "door", "homeassistant")}
    assert len(set(passwords.values())) == 3 and all(len(p) >= 32 for p in passwords.values())
    assert all(p not in result.stdout + result.stderr for p in passwords.values())
    mosquitto = root / "etc" / "mosquitto"
    assert all(p not in (mosquitto / "passwd").read_text() for p in passwords.values())  # hashed
    config = tomllib.loads((root / "etc" / "edge" / "edge.toml").read_text())
    assert config["mqtt"]["username"] == "appliance"
    assert config["mqtt"]["password_file"] == "/etc/edge/secrets/mqtt-appliance.pass"
    device = config["device"]["id"]

    # The installed configuration, on a free port, with the paths of the throw-away root.
    broker = Broker(tmp_path, anonymous=False)
    conf = (mosquitto / "conf.d" / "edge.conf").read_text().replace("/etc/mosquitto", str(mosquitto))
    conf = conf.replace("listener 1883 127.0.0.1", f"listener {broker.port} 127.0.0.1")
    broker.conf.write_text(f"user {getpass.getuser()}\npersistence false\n{conf}")
    broker.start()
    try:
        commands = f"edge/{device}/door/command"
        door = Subscriber(broker, commands, username="door", password=passwords["door"])
        assert not publishes(broker, commands, b"forged", None, None)  # anonymous: refused
        assert publishes(broker, commands, b"forged", "homeassistant", passwords["homeassistant"])
        assert publishes(broker, commands, b"signed", "appliance", passwords["appliance"])
        assert door.wait_for(lambda: door.messages != [], 5)
        time.sleep(0.3)
        assert [m.payload for m in door.messages] == [b"signed"]  # only the appliance's
        door.close()
        appliance = Subscriber(broker, f"edge/{device}/lock/set", username="appliance",
                               password=passwords["appliance"])
        assert not publishes(broker, f"edge/{device}/lock/set", b"UNLOCK", None, None)  # anonymous
        assert publishes(broker, f"edge/{device}/lock/set", b"UNLOCK", "homeassistant",
                         passwords["homeassistant"])
        assert appliance.wait_for(lambda: appliance.messages != [], 5)
        assert [m.payload for m in appliance.messages] == [b"UNLOCK"]
        appliance.close()
    finally:
        broker.stop()


def publishes(broker: Broker, topic: str, payload: bytes, user: str | None, password: str | None) -> bool:
    """Publish one QoS 1 message; False when the broker refuses the connection."""
    client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    if user:
        client.username_pw_set(user, password)
    refused: list[bool] = []
    client.on_connect = lambda c, u, f, reason, p: refused.append(reason.is_failure)
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        deadline = time.monotonic() + 5
        while not refused and time.monotonic() < deadline:
            time.sleep(0.02)
        if not refused or refused[0]:
            return False
        client.publish(topic, payload, qos=1).wait_for_publish(5)
        return True
    finally:
        client.disconnect()
        client.loop_stop()
