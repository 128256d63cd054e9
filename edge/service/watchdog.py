"""systemd notifications (``sd_notify``) and a watchdog fed by the capture loop's heartbeat.

The unit is ``Type=notify`` with ``WatchdogSec=``: systemd expects ``READY=1`` once the service
is up and ``WATCHDOG=1`` more often than the watchdog period. A thread that pinged on its own
would keep a stuck process alive, so :class:`Heartbeat` pings only while the loop keeps beating:
when the camera or the loop hangs, the pings stop and systemd restarts the service.

Outside systemd (no ``$NOTIFY_SOCKET``) every call is a cheap no-op.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

log = logging.getLogger(__name__)


def _socket_address() -> str | None:
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return None
    if address.startswith("@"):  # abstract namespace
        return "\0" + address[1:]
    return address


def notify(state: str) -> bool:
    """Send ``state`` (e.g. ``"READY=1"``) to systemd; False when not run by systemd or unsent."""
    address = _socket_address()
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(state.encode("utf-8"), address)
    except OSError as exc:
        log.warning("sd_notify to %s failed: %s", os.environ.get("NOTIFY_SOCKET"), exc)
        return False
    return True


def ready() -> bool:
    """Tell systemd that start-up is complete (``Type=notify`` waits for this)."""
    return notify("READY=1")


def stopping() -> bool:
    return notify("STOPPING=1")


def status(text: str) -> bool:
    """A one-line status shown by ``systemctl status``."""
    return notify("STATUS=" + text.replace("\n", " "))


def watchdog_period_s() -> float | None:
    """The unit's watchdog period from ``$WATCHDOG_USEC``, or None when no watchdog is on us."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 1e6 if value > 0 else None


class Heartbeat:
    """Pings the systemd watchdog at half its period, but only while :meth:`beat` keeps coming.

    ``stall_s``: the loop counts as stuck when it has not beaten for this long. ``interval_s``
    overrides the ping interval (default: half of ``$WATCHDOG_USEC``; no thread without it).
    """

    def __init__(self, stall_s: float, *, interval_s: float | None = None) -> None:
        if stall_s <= 0:
            raise ValueError("stall_s must be positive")
        self.stall_s = stall_s
        period = watchdog_period_s()
        self.interval_s = interval_s if interval_s is not None else (period / 2 if period else None)
        self._last_beat = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        """Called by the loop once per frame (or per idle tick): proof of life."""
        self._last_beat = time.monotonic()

    @property
    def silent_s(self) -> float:
        return time.monotonic() - self._last_beat

    @property
    def stalled(self) -> bool:
        return self.silent_s > self.stall_s

    def start(self) -> Heartbeat:
        if self.interval_s is None or self._thread is not None:
            return self
        self._last_beat = time.monotonic()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        assert self.interval_s is not None
        warned = False
        while not self._stop.wait(self.interval_s):
            if not self.stalled:
                notify("WATCHDOG=1")
                warned = False
            elif not warned:
                log.error("loop silent for %.1f s: no more watchdog pings, systemd will restart us",
                          self.silent_s)
                warned = True

    def __enter__(self) -> Heartbeat:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
