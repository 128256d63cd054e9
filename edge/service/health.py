"""What ``/healthz`` answers: ok, or degraded with one reason per problem.

The runner (through :class:`edge.service.metrics.Metrics`, which forwards to it) reports frames,
backend circuit states and the outbox depth; :meth:`HealthState.report` turns them into reasons.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edge.service.config import ServiceSettings

CircuitState = str  # "closed", "half_open" or "open"
CIRCUIT_STATES: tuple[CircuitState, ...] = ("closed", "half_open", "open")


@dataclass(frozen=True)
class HealthReport:
    reasons: tuple[str, ...]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.reasons

    def as_json(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "degraded", "reasons": list(self.reasons), **self.details}


class HealthState:
    """Thread-safe view of the running loop, updated by the runner, read by ``/healthz``.

    ``frame_max_age_s``: a last frame older than this is a problem (camera or loop stuck);
    ``outbox_max``: more events waiting than this means the broker has been away for a while.
    """

    def __init__(
        self,
        *,
        frame_max_age_s: float,
        outbox_max: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.frame_max_age_s = frame_max_age_s
        self.outbox_max = outbox_max
        self._clock = clock
        self._lock = threading.Lock()
        self._started = clock()
        self._last_frame: float | None = None
        self._circuits: dict[str, CircuitState] = {}
        self._outbox_depth = 0
        self._problems: dict[str, str] = {}

    @classmethod
    def from_settings(cls, service: ServiceSettings) -> HealthState:
        """A frame older than the watchdog's stall time is already a problem worth reporting."""
        return cls(frame_max_age_s=service.watchdog_stall_s, outbox_max=service.health_outbox_max)

    def frame(self) -> None:
        with self._lock:
            self._last_frame = self._clock()

    def circuit(self, backend: str, state: CircuitState) -> None:
        if state not in CIRCUIT_STATES:
            raise ValueError(f"circuit state must be one of {CIRCUIT_STATES}, not {state!r}")
        with self._lock:
            self._circuits[backend] = state

    def outbox_depth(self, depth: int) -> None:
        with self._lock:
            self._outbox_depth = depth

    def problem(self, key: str, reason: str | None) -> None:
        """Raise (``reason``) or clear (None) a named problem, e.g. ``("camera", "reopening")``."""
        with self._lock:
            if reason is None:
                self._problems.pop(key, None)
            else:
                self._problems[key] = reason

    def report(self) -> HealthReport:
        with self._lock:
            now = self._clock()
            reasons: list[str] = []
            age = None if self._last_frame is None else now - self._last_frame
            if age is None:
                if now - self._started > self.frame_max_age_s:
                    reasons.append(f"no frame since start {now - self._started:.1f} s ago")
            elif age > self.frame_max_age_s:
                reasons.append(f"last frame {age:.1f} s ago")
            reasons += [f"backend {name}: circuit {state}" for name, state in sorted(self._circuits.items())
                        if state != "closed"]
            if self._outbox_depth > self.outbox_max:
                reasons.append(f"outbox holds {self._outbox_depth} events (broker unreachable?)")
            reasons += [f"{key}: {text}" for key, text in sorted(self._problems.items())]
            details = {
                "last_frame_age_s": None if age is None else round(age, 3),
                "circuits": dict(self._circuits),
                "outbox_depth": self._outbox_depth,
                "uptime_s": round(now - self._started, 1),
            }
        return HealthReport(tuple(reasons), details)
