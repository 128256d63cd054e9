"""`edge doctor` finds each fault a test injects, against real parts (broker, files, HTTP)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from edge.capture.opencv import DEMO_CLIP
from edge.config.settings import Settings, load_settings
from edge.service import doctor, doctor_remote
from edge.service.check import CheckResult
from edge.service.doctor import render_table, run_checks
from edge.vision.config import DEFAULT_MODELS_DIR
from edge.vision.models import load_manifest
from tests.support.mosquitto import Broker, make_pki, running_broker


def make_settings(tmp_path: Path, broker: Broker, **sections: dict[str, Any]) -> Settings:
    """A healthy device: images as the camera, the shipped models, a reachable broker."""
    base: dict[str, dict[str, Any]] = {
        "camera": {"source": {"type": "folder", "path": str(Path(__file__).parents[1] / "fixtures" / "faces"
                                                           / "Barack_Obama")}},
        "service": {"state_dir": str(tmp_path / "state"), "min_free_mb": 1},
        "mqtt": {"host": broker.host, "port": broker.port},
    }
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    return load_settings(None, **base)


def by_check(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.check: r for r in results}


def test_healthy_device_passes(tmp_path: Path, broker: Broker) -> None:
    results = by_check(run_checks(make_settings(tmp_path, broker)))
    assert {name: r.status for name, r in results.items()} == {
        "camera": "ok", "models": "ok", "disk": "ok", "gallery": "ok", "policy": "ok", "broker": "ok",
        "backend local": "ok", "clock": "skip",
    }
    shipped = len(load_manifest(DEFAULT_MODELS_DIR))
    assert "Barack_Obama" in results["camera"].detail and f"{shipped} models" in results["models"].detail


def test_missing_and_altered_models(tmp_path: Path, broker: Broker) -> None:
    models = tmp_path / "models"
    shutil.copytree(DEFAULT_MODELS_DIR, models, ignore=shutil.ignore_patterns("tools", "*.md"))
    (models / "liveness" / "liveness.onnx").unlink()
    with (models / "antispoof" / "antispoof.onnx").open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00\x01\x02")
    result = by_check(run_checks(make_settings(tmp_path, broker, vision={"models_dir": str(models)}),
                                 ["models"]))["models"]
    assert result.status == "fail"
    assert "liveness.onnx: missing" in result.detail and "antispoof.onnx: altered" in result.detail
    assert "reinstall the models" in result.hint


def passworded_broker(workdir: Path) -> Broker:
    return Broker(workdir, anonymous=False, users={"door": "right-horse-battery"}).start()


def test_bad_broker_password_and_unreachable_broker(tmp_path: Path, broker: Broker) -> None:
    secured = passworded_broker(tmp_path)
    try:
        password_file = tmp_path / "mqtt.pass"
        password_file.write_text("right-horse-battery\n")
        mqtt = {"host": secured.host, "port": secured.port, "username": "door",
                "password_file": str(password_file)}
        good = run_checks(make_settings(tmp_path, broker, mqtt=mqtt), ["broker"])[0]
        assert good.status == "ok" and "as door" in good.detail

        password_file.write_text("wrong-staple\n")
        bad = run_checks(make_settings(tmp_path, broker, mqtt=mqtt), ["broker"])[0]
        assert bad.status == "fail"
        assert "refused the credentials" in bad.detail and "mqtt.password_file" in bad.hint

        anonymous = run_checks(make_settings(tmp_path, broker, mqtt={**mqtt, "username": None}),
                               ["broker"])[0]
        assert anonymous.status == "fail" and "Not authorized" in anonymous.detail
    finally:
        secured.stop()
    gone = run_checks(make_settings(tmp_path, broker, mqtt=mqtt), ["broker"])[0]
    assert gone.status == "fail" and "unreachable" in gone.detail and "start the broker" in gone.hint


@pytest.fixture
def date_server() -> Iterator[tuple[str, list[timedelta]]]:
    """A real HTTP server whose Date header runs ``skew[0]`` off the true time."""
    skew = [timedelta(0)]

    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
            self.send_response(200)
            self.end_headers()

        def date_time_string(self, timestamp: float | None = None) -> str:
            return format_datetime(datetime.now(timezone.utc) + skew[0], usegmt=True)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", skew
    finally:
        server.shutdown()
        server.server_close()


def test_skewed_clock(tmp_path: Path, broker: Broker, date_server: tuple[str, list[timedelta]]) -> None:
    url, skew = date_server
    settings = make_settings(tmp_path, broker, service={"clock_reference_url": url})
    assert run_checks(settings, ["clock"])[0].status == "ok"
    skew[0] = timedelta(minutes=2)
    assert run_checks(settings, ["clock"])[0].status == "warn"
    skew[0] = timedelta(minutes=-7)
    result = run_checks(settings, ["clock"])[0]
    assert result.status == "fail"
    assert "+420 s" in result.detail or "+419 s" in result.detail or "+421 s" in result.detail
    assert "NTP" in result.hint


def test_full_disk(tmp_path: Path, broker: Broker) -> None:
    free_mb = shutil.disk_usage(tmp_path).free // (1024 * 1024)
    result = run_checks(make_settings(tmp_path, broker, service={"min_free_mb": free_mb + 1000}), ["disk"])[0]
    assert result.status == "fail" and "below service.min_free_mb" in result.detail


def test_corrupt_gallery(tmp_path: Path, broker: Broker) -> None:
    gallery = tmp_path / "gallery.sqlite"
    settings = make_settings(tmp_path, broker, gallery={"path": str(gallery)})
    with sqlite3.connect(gallery) as db:
        db.execute("CREATE TABLE people (id TEXT)")
    db.close()
    assert run_checks(settings, ["gallery"])[0].status == "ok"
    gallery.write_bytes(b"SQLite format 3\x00" + os.urandom(4096))
    result = run_checks(settings, ["gallery"])[0]
    assert result.status == "fail" and "restore the gallery" in result.hint


def test_missing_camera_folder(tmp_path: Path, broker: Broker) -> None:
    settings = make_settings(tmp_path, broker, camera={"source": {"type": "folder",
                                                                  "path": str(tmp_path / "nope")}})
    result = run_checks(settings, ["camera"])[0]
    assert result.status == "fail" and "cannot read folder" in result.detail
    assert "create" in result.hint


def test_a_hanging_check_fails_after_the_timeout(
    tmp_path: Path, broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(doctor.CHECKS, "camera", lambda settings: time.sleep(30) or [])
    started = time.monotonic()
    result = run_checks(make_settings(tmp_path, broker), ["camera"], timeout_s=0.5)[0]
    assert time.monotonic() - started < 2
    assert result.status == "fail" and "no answer within" in result.detail


def test_table_shows_fix_under_failed_lines() -> None:
    table = render_table([CheckResult("disk", "fail", "3 MB free", "free space"),
                          CheckResult("camera", "ok", "fine", "never shown")])
    assert table.splitlines()[2:] == ["disk    FAIL    3 MB free", "                fix: free space",
                                      "camera  ok      fine"]


def test_cli_exit_code_and_table(tmp_path: Path, date_server: tuple[str, list[timedelta]]) -> None:
    """End to end through the console entry point with several faults injected at once."""
    url, skew = date_server
    skew[0] = timedelta(hours=1)
    secured = passworded_broker(tmp_path)
    models = tmp_path / "models"
    shutil.copytree(DEFAULT_MODELS_DIR, models, ignore=shutil.ignore_patterns("tools", "*.md"))
    (models / "facemesh-detection-full" / "facemesh-detection-full.onnx").unlink()
    config = tmp_path / "edge.toml"
    config.write_text(
        f'[vision]\nmodels_dir = "{models}"\n'
        f'[service]\nstate_dir = "{tmp_path / "state"}"\nmin_free_mb = 100000000\n'
        f'clock_reference_url = "{url}"\n'
        f'[mqtt]\nhost = "{secured.host}"\nport = {secured.port}\nusername = "door"\n'
        'password = "not-the-password"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_")}
    try:
        run = subprocess.run([sys.executable, "-m", "edge", "--config", str(config), "doctor",
                              "--skip", "camera"], capture_output=True, text=True, env=env, timeout=120)
        only_gallery = subprocess.run([sys.executable, "-m", "edge", "--config", str(config), "doctor",
                                       "--only", "gallery"], capture_output=True, text=True, env=env,
                                      timeout=120)
    finally:
        secured.stop()
    assert run.returncode == 1, run.stderr
    lines = {line.split()[0]: line for line in run.stdout.splitlines() if line and not line[0].isspace()}
    for check in ("models", "disk", "broker", "clock"):
        assert lines[check].split()[1] == "FAIL", run.stdout
    assert "camera" not in lines and lines["gallery"].split()[1] == "ok"
    assert run.stdout.count("fix: ") == 4
    assert "4 check(s) failed: models, disk, broker, clock" in run.stderr
    assert "Traceback" not in run.stderr and "not-the-password" not in run.stdout + run.stderr
    assert only_gallery.returncode == 0 and "all checks passed" in only_gallery.stdout


def test_opencv_camera_file_and_missing_device(tmp_path: Path, broker: Broker) -> None:
    clip = {"source": {"type": "opencv", "uri": str(DEMO_CLIP)}}
    good = run_checks(make_settings(tmp_path, broker, camera=clip), ["camera"])[0]
    assert good.status == "ok" and good.detail.endswith("176x144 frame")
    bad = run_checks(make_settings(tmp_path, broker, camera={"source": {"type": "opencv",
                                                                        "uri": "/dev/video99"}}),
                     ["camera"])[0]
    assert bad.status == "fail" and "cannot open video source" in bad.detail
    assert "v4l2-ctl --list-devices" in bad.hint


def test_cli_missing_device_and_empty_gallery_read_cleanly(tmp_path: Path) -> None:
    """Only the table on a new device: no OpenCV line of its own, the empty gallery in words."""
    config = tmp_path / "edge.toml"
    config.write_text(f'[camera.source]\ntype = "opencv"\nuri = "/dev/video99"\n'
                      f'[service]\nstate_dir = "{tmp_path / "state"}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_")}
    run = subprocess.run([sys.executable, "-m", "edge", "--config", str(config), "doctor", "--only", "camera",
                          "--only", "policy"], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 1 and "cannot open video source /dev/video99" in run.stdout
    assert "WARN" not in run.stderr, run.stderr
    assert "over 1 person:" in run.stdout and "people" not in run.stdout, run.stdout


def test_broker_over_tls(tmp_path: Path, broker: Broker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor_remote, "CONNECT_TIMEOUT_S", 1.0)  # plain MQTT to a TLS port: no CONNACK
    pki = make_pki(tmp_path)
    (tmp_path / "other").mkdir()
    other_ca = make_pki(tmp_path / "other").ca_cert
    with running_broker(tmp_path, tls=pki) as secured:
        tls_port = {"host": secured.host, "port": secured.tls_port}
        good = run_checks(make_settings(tmp_path, broker, mqtt={**tls_port, "tls_ca_file": str(pki.ca_cert)}),
                          ["broker"])[0]
        assert good.status == "ok", good
        plain = run_checks(make_settings(tmp_path, broker, mqtt=tls_port), ["broker"], timeout_s=10)[0]
        assert plain.status == "fail" and "mqtt.tls_ca_file" in plain.hint, plain
        wrong_ca = {**tls_port, "tls_ca_file": str(other_ca)}
        untrusted = run_checks(make_settings(tmp_path, broker, mqtt=wrong_ca), ["broker"])[0]
        assert untrusted.status == "fail" and "CERTIFICATE_VERIFY_FAILED" in untrusted.detail, untrusted
        assert "signed the broker's certificate" in untrusted.hint
