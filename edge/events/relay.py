"""Lock relays: a GPIO relay through gpiozero, or a simulated one (``edge door --dry-run``).

Convention: relay energized = door released (unlocked). Wire a fail-secure strike on the
normally-open contact and a fail-safe maglock on the normally-closed one, so that a de-energized
relay (power cut, SIGKILL, Pi rebooting) leaves the lock in its own fail state.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Protocol

from edge.errors import ConfigError


class Relay(Protocol):
    @property
    def unlocked(self) -> bool: ...

    def set_unlocked(self, unlocked: bool) -> None: ...

    def close(self) -> None: ...


class GpioRelay:
    """A relay on a BCM GPIO pin (needs the optional ``door`` extra: gpiozero)."""

    def __init__(self, pin: int, *, active_high: bool, initial_unlocked: bool) -> None:
        try:
            from gpiozero import OutputDevice
        except ImportError as exc:
            raise ConfigError([
                "edge door: gpiozero is not installed; install the 'door' extra "
                "(pip install 'edge-face-door[door]') or run with --dry-run"
            ]) from exc
        self._device: Any = OutputDevice(pin, active_high=active_high, initial_value=initial_unlocked)

    @property
    def unlocked(self) -> bool:
        return bool(self._device.value)

    def set_unlocked(self, unlocked: bool) -> None:
        if unlocked:
            self._device.on()
        else:
            self._device.off()

    def close(self) -> None:
        self._device.close()


class SimulatedRelay:
    """A relay in memory that records every change, optionally as lines in a journal file.

    A real second backend, not a test double: ``edge door --dry-run`` runs the whole agent
    with it, and the journal shows what a relay would have done (start, pulses, stop).
    """

    def __init__(self, *, initial_unlocked: bool, journal: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._unlocked = initial_unlocked
        self.changes: list[tuple[float, bool]] = []
        self._journal = journal.open("a", encoding="utf-8") if journal else None
        self._record(initial_unlocked)

    @property
    def unlocked(self) -> bool:
        return self._unlocked

    def set_unlocked(self, unlocked: bool) -> None:
        with self._lock:
            if unlocked != self._unlocked:
                self._unlocked = unlocked
                self._record(unlocked)

    def _record(self, unlocked: bool) -> None:
        self.changes.append((time.time(), unlocked))
        if self._journal is not None:
            self._journal.write(("unlocked" if unlocked else "locked") + "\n")
            self._journal.flush()

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
