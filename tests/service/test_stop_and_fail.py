"""`edge run` as systemd runs it (a real process, a fake $NOTIFY_SOCKET that is a real unix
datagram socket): SIGTERM is honoured within 5 s in every state, and a camera that fails for
good ends the process with the reason instead of a door running blind on a fed watchdog."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.support.cameras import MjpegServer, write_picamera2

EDGE = Path(sys.executable).with_name("edge")
STOP_WITHIN_S = 5.0


class Appliance:
    """``edge run`` with a TOML file, its stderr collected line by line, systemd's socket faked."""

    def __init__(self, tmp_path: Path, source: str, *, pythonpath: Path | None = None) -> None:
        config = tmp_path / "edge.toml"
        config.write_text(f"""
[device]
id = "door-test"
[service]
state_dir = "{tmp_path / 'state'}"
health_port = 0
[mqtt]
enabled = false
[camera]
reopen_initial_s = 0.2
reopen_max_s = 1.0
[camera.source]
{source}
""")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(tmp_path / "notify"))
        self.notify.settimeout(0.2)
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_")}
        env.update(NOTIFY_SOCKET=str(tmp_path / "notify"), WATCHDOG_USEC="1000000")
        if pythonpath:
            env["PYTHONPATH"] = f"{pythonpath}{os.pathsep}{env.get('PYTHONPATH', '')}"
        self.proc = subprocess.Popen([str(EDGE), "--config", str(config), "run", "--quiet"],
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.stderr: list[str] = []
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()
        self.messages: list[str] = []

    def _collect(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def wait_notified(self, message: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while message not in self.messages:
            assert time.monotonic() < deadline and self.proc.poll() is None, self.text
            with contextlib.suppress(TimeoutError):
                self.messages.append(self.notify.recv(256).decode())

    def wait_logged(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.text:
            assert time.monotonic() < deadline and self.proc.poll() is None, self.text
            time.sleep(0.05)

    def stop_time(self) -> float:
        """Seconds from SIGTERM to the process's exit (which must be clean)."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(30)
        took = time.monotonic() - started
        assert code == 0, self.text
        return took

    @property
    def text(self) -> str:
        return "".join(self.stderr)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.notify.close()


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Callable[..., Appliance]]:
    """Start ``edge run`` on a [camera.source] body; killed at the end if still running."""
    started: list[Appliance] = []

    def make(source: str, pythonpath: Path | None = None) -> Appliance:
        appliance = Appliance(tmp_path, source, pythonpath=pythonpath)
        started.append(appliance)
        return appliance

    yield make
    for appliance in started:
        appliance.close()


def test_sigterm_while_the_folder_source_is_missing(launch, tmp_path: Path) -> None:
    appliance = launch(f'type = "folder"\npath = "{tmp_path / "unplugged"}"')
    appliance.wait_notified("READY=1")
    appliance.wait_logged("cannot open")
    assert appliance.stop_time() < STOP_WITHIN_S


def test_sigterm_while_running(launch, tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "0.jpg"), np.full((240, 320, 3), 90, np.uint8))
    appliance = launch(f'type = "folder"\npath = "{frames}"\nloop = true')
    appliance.wait_notified("WATCHDOG=1")
    assert appliance.stop_time() < STOP_WITHIN_S


def test_sigterm_while_a_stream_does_not_answer(launch) -> None:
    with MjpegServer(frames=0) as silent_stream:
        appliance = launch(f'type = "opencv"\nuri = "{silent_stream.url}"\nopen_timeout_s = 60')
        appliance.wait_notified("READY=1")
        time.sleep(0.5)  # the capture thread is inside OpenCV's open
        assert appliance.stop_time() < STOP_WITHIN_S


def test_sigterm_while_starting(launch, tmp_path: Path) -> None:
    appliance = launch(f'type = "folder"\npath = "{tmp_path}"')
    appliance.wait_logged("{")  # logging is set up: the settings are loaded, the models not yet
    assert appliance.stop_time() < STOP_WITHIN_S


@pytest.mark.parametrize(("failure", "code", "reason"), [
    ("import", 2, "error: picamera2 cannot be imported (numpy.dtype size changed"),
    ("driver", 1, "error: cannot open camera picamera2:0: KeyError('sensor_modes')"),
])
def test_a_camera_that_fails_for_good_ends_the_service(launch, tmp_path: Path, failure: str, code: int,
                                                       reason: str) -> None:
    """systemd sees the failure (exit code, restart) instead of a fed watchdog and no frames."""
    appliance = launch('type = "picamera2"', pythonpath=write_picamera2(tmp_path / "site", failure))
    assert appliance.proc.wait(120) == code
    assert reason in appliance.text
