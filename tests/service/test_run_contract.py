"""The contract with systemd and the monitoring, on a real `edge run` process.

The process gets what systemd would give it ($NOTIFY_SOCKET, $WATCHDOG_USEC) and a looping clip
as its camera; the test plays systemd (a unix datagram socket) and Prometheus (HTTP).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from edge.capture.opencv import DEMO_CLIP
from tests.support.mosquitto import free_port


class Systemd:
    """The notify socket's side of systemd: collects the datagrams the service sends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.received: list[str] = []

    def wait_for(self, message: str, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while message not in self.received:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                self.received.append(self.sock.recv(4096).decode())
            except TimeoutError:
                return False
        return True


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Systemd, str]]:
    systemd = Systemd(tmp_path / "notify")
    port = free_port()
    config = tmp_path / "edge.toml"
    config.write_text(
        f'[camera.source]\ntype = "opencv"\nuri = "{DEMO_CLIP}"\nloop = true\n'
        f'[service]\nstate_dir = "{tmp_path / "state"}"\nhealth_port = {port}\n'
        '[mqtt]\nenabled = false\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDGE_", "WATCHDOG_"))}
    env.update(NOTIFY_SOCKET=str(systemd.path), WATCHDOG_USEC="1000000")
    process = subprocess.Popen([sys.executable, "-m", "edge", "--config", str(config), "run", "--quiet"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield process, systemd, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)
        systemd.sock.close()


def test_ready_watchdog_health_metrics_and_clean_stop(
    service: tuple[subprocess.Popen[str], Systemd, str]
) -> None:
    process, systemd, url = service
    assert systemd.wait_for("READY=1", 90), (systemd.received, process.poll())

    deadline = time.monotonic() + 20
    while (health := httpx.get(url + "/healthz")).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert health.status_code == 200 and health.json()["status"] == "ok", health.text
    # a frame is counted when taken, its stages when processed: wait for the first to finish
    while ('stage="decide"' not in (metrics := httpx.get(url + "/metrics").text)
           and time.monotonic() < deadline):
        time.sleep(0.1)
    frames = next(float(line.split()[-1]) for line in metrics.splitlines()
                  if line.startswith("edge_frames_total "))
    assert frames > 0
    assert 'edge_stage_seconds_count{stage="decide"}' in metrics

    pings_before = systemd.received.count("WATCHDOG=1")
    time.sleep(1.6)  # half of WATCHDOG_USEC = a ping every 0.5 s while frames flow
    systemd.wait_for("never sent", 0.1)
    assert systemd.received.count("WATCHDOG=1") - pings_before >= 2

    process.send_signal(signal.SIGTERM)
    assert systemd.wait_for("STOPPING=1", 20), systemd.received
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr[-2000:]
    assert "Traceback" not in stderr
