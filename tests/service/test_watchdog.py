"""sd_notify and the heartbeat watchdog against a real unix datagram socket as $NOTIFY_SOCKET."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.service import watchdog
from edge.service.watchdog import Heartbeat


class NotifySocket:
    """What systemd listens on: a unix datagram socket collecting the messages sent to it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def messages(self, wait_s: float) -> list[str]:
        received = []
        deadline = time.monotonic() + wait_s
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                received.append(self.sock.recv(4096).decode())
            except TimeoutError:
                break
        return received

    def drain(self) -> None:
        self.sock.setblocking(False)
        try:
            while True:
                self.sock.recv(4096)
        except BlockingIOError:
            pass


@pytest.fixture
def notify_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NotifySocket]:
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        monkeypatch.delenv("WATCHDOG_USEC", raising=False)
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
        yield NotifySocket(sock)


def test_ready_status_stopping_reach_the_socket(notify_socket: NotifySocket) -> None:
    assert watchdog.ready() and watchdog.status("camera\nopen") and watchdog.stopping()
    assert notify_socket.messages(0.2) == ["READY=1", "STATUS=camera open", "STOPPING=1"]


def test_abstract_socket_address(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"edge-test-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert watchdog.ready()
        sock.settimeout(1)
        assert sock.recv(100) == b"READY=1"


def test_without_systemd_notify_is_a_no_op(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert watchdog.ready() is False
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "nobody-listens"))
    assert watchdog.ready() is False  # logged, never raised


def test_watchdog_period_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert watchdog.watchdog_period_s() == 30.0
    assert Heartbeat(10).interval_s == 15.0
    monkeypatch.setenv("WATCHDOG_PID", "1")  # meant for another process
    assert watchdog.watchdog_period_s() is None


def test_heartbeat_pings_only_while_beats_come(notify_socket: NotifySocket) -> None:
    with Heartbeat(stall_s=0.3, interval_s=0.05) as heart:
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            heart.beat()
            time.sleep(0.02)
        beating = notify_socket.messages(0.05)
        assert beating.count("WATCHDOG=1") >= 5
        time.sleep(0.4)  # the loop is stuck: no beats for longer than stall_s
        notify_socket.drain()
        assert notify_socket.messages(0.4) == []
        assert heart.stalled
        heart.beat()  # the loop recovers: pings resume
        assert "WATCHDOG=1" in notify_socket.messages(0.2)


def test_heartbeat_watchdog_usec_drives_the_interval(
    notify_socket: NotifySocket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "100000")  # 0.1 s -> pings every 0.05 s
    with Heartbeat(stall_s=5) as heart:
        heart.beat()
        assert notify_socket.messages(0.3).count("WATCHDOG=1") >= 3
