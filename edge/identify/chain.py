"""Failover across backends: per-backend circuit breakers, deadlines and health.

Backends are tried in the configured order (e.g. youtu, then local). A cloud call runs in a
worker thread and the caller waits at most ``identify.deadline_ms`` for it, so a cloud that hangs
costs one deadline, and after ``breaker_failures`` consecutive failures its circuit opens: it is
skipped (no waiting at all) until ``breaker_reset_s`` has passed, then one call probes it
(half-open) and, if it answers, it is used again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from enum import Enum

import numpy as np

from edge.errors import BackendUnavailable, RemoteError
from edge.identify.base import Backend, Identification
from edge.identify.config import IdentifySettings
from edge.identify.families import family_of
from edge.vision.types import Face

log = logging.getLogger(__name__)

_HEALTH_WINDOW = 50
_WORKERS_PER_BACKEND = 2
_TRACK_CALLERS = 4  # per-track cloud calls waiting on the cloud at once (each at most one deadline)


class CircuitState(str, Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after ``failures`` consecutive failures; lets one probe through after ``reset_s``."""

    def __init__(self, failures: int, reset_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._threshold = failures
        self._reset_s = reset_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> CircuitState:
        with self._lock:
            if self._opened_at is None:
                return CircuitState.CLOSED
            if self._probing or self._clock() - self._opened_at >= self._reset_s:
                return CircuitState.HALF_OPEN
            return CircuitState.OPEN

    def allow(self) -> bool:
        """Whether a call may go to the backend now (claims the probe when half-open)."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._probing or self._clock() - self._opened_at < self._reset_s:
                return False
            self._probing = True
            return True

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self._threshold:
                self._opened_at = self._clock()
            self._probing = False


@dataclass(frozen=True)
class HealthReport:
    state: CircuitState
    calls: int  # in the recent window
    error_rate: float
    latency_ms_p50: float | None
    latency_ms_p95: float | None


class BackendHealth:
    """Recent outcomes and latencies of one backend (for metrics and the doctor)."""

    def __init__(self) -> None:
        self._outcomes: deque[bool] = deque(maxlen=_HEALTH_WINDOW)
        self._latencies_ms: deque[float] = deque(maxlen=_HEALTH_WINDOW)
        self._lock = threading.Lock()
        self.failures = 0  # since start (for the metrics' counter)

    def record(self, ok: bool, latency_s: float) -> None:
        with self._lock:
            self.failures += not ok
            self._outcomes.append(ok)
            self._latencies_ms.append(latency_s * 1000.0)

    def report(self, state: CircuitState) -> HealthReport:
        with self._lock:
            outcomes, latencies = list(self._outcomes), list(self._latencies_ms)
        if not outcomes:
            return HealthReport(state, 0, 0.0, None, None)
        p50, p95 = (float(v) for v in np.percentile(latencies, [50, 95]))
        return HealthReport(state, len(outcomes), outcomes.count(False) / len(outcomes), p50, p95)


@dataclass(frozen=True)
class ChainAnswer:
    """The answer of the backend that decided, and whether the cloud was out of reach."""

    identifications: list[Identification]
    backend: Backend
    offline: bool

    @property
    def backend_name(self) -> str:
        return self.backend.name


@dataclass(frozen=True)
class NoAnswer:
    """No backend of those asked answered: why, each; ``offline`` when a cloud was out of reach
    (rather than refusing the request)."""

    problems: tuple[str, ...]
    offline: bool


def _answered(answer: ChainAnswer | NoAnswer) -> ChainAnswer:
    if isinstance(answer, NoAnswer):
        raise BackendUnavailable("no backend answered: " + ("; ".join(answer.problems) or "none to ask"))
    return answer


class _Member:
    def __init__(self, backend: Backend, settings: IdentifySettings) -> None:
        self.backend = backend
        self.is_cloud = backend.cloud
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_reset_s)
        self.health = BackendHealth()
        self.executor = (
            ThreadPoolExecutor(_WORKERS_PER_BACKEND, thread_name_prefix=f"backend-{backend.name}")
            if self.is_cloud else None
        )


class BackendChain:
    """Identifies with the first backend that answers, in order."""

    def __init__(self, backends: Sequence[Backend], settings: IdentifySettings) -> None:
        if not backends:
            raise ValueError("a backend chain needs at least one backend")
        self._members = [_Member(b, settings) for b in backends]
        self._deadline_s = settings.deadline_ms / 1000.0
        self._callers: ThreadPoolExecutor | None = None

    @property
    def has_cloud(self) -> bool:
        return any(m.is_cloud for m in self._members)

    @property
    def cloud_first(self) -> bool:
        """True when a cloud backend is asked first: it is asked per track (edge.identify.tracks)."""
        return self._members[0].is_cloud

    def identify(self, frame: np.ndarray, faces: Sequence[Face]) -> ChainAnswer:
        """The first answer in order; raises BackendUnavailable when no backend answered."""
        return _answered(self._first_answer(self._members, frame, faces))

    def identify_cloud(self, frame: np.ndarray, faces: Sequence[Face]) -> ChainAnswer | NoAnswer:
        """The first answer of the cloud backends alone, in order, or why none answered."""
        return self._first_answer([m for m in self._members if m.is_cloud], frame, faces)

    def submit_cloud(self, frame: np.ndarray, faces: Sequence[Face]) -> Future[ChainAnswer | NoAnswer]:
        """:meth:`identify_cloud` on a worker thread: the caller looks at the future, never waits."""
        if self._callers is None:
            self._callers = ThreadPoolExecutor(_TRACK_CALLERS, thread_name_prefix="cloud-track")
        return self._callers.submit(self.identify_cloud, frame, faces)

    def identify_local(self, frame: np.ndarray, faces: Sequence[Face], *, offline: bool) -> ChainAnswer:
        """The first answer of the on-device backends, for faces the cloud did not answer about;
        ``offline``: because a cloud was out of reach. Raises BackendUnavailable when none answered
        (a cloud-only chain)."""
        local = [m for m in self._members if not m.is_cloud]
        return _answered(self._first_answer(local, frame, faces, cloud_missed=offline))

    def _first_answer(self, members: Sequence[_Member], frame: np.ndarray, faces: Sequence[Face],
                      cloud_missed: bool = False) -> ChainAnswer | NoAnswer:
        problems: list[str] = []
        for member in members:
            name = member.backend.name
            if not member.breaker.allow():
                problems.append(f"{name}: circuit open")
                cloud_missed |= member.is_cloud
                continue
            started = time.monotonic()
            try:
                identifications = self._call(member, frame, faces)
            except RemoteError as exc:
                if family_of(exc).transient:  # rate-limited or failing: a failure of the vendor
                    member.breaker.record_failure()
                    member.health.record(False, time.monotonic() - started)
                    cloud_missed |= member.is_cloud
                else:  # the backend is up but refused this request
                    member.breaker.record_success()
                    member.health.record(True, time.monotonic() - started)
                problems.append(f"{name}: {exc}")
                continue
            except Exception as exc:
                member.breaker.record_failure()
                member.health.record(False, time.monotonic() - started)
                if not isinstance(exc, BackendUnavailable):
                    log.exception("backend %s failed unexpectedly", name)
                problems.append(f"{name}: {exc}")
                cloud_missed |= member.is_cloud
                continue
            member.breaker.record_success()
            member.health.record(True, time.monotonic() - started)
            return ChainAnswer(identifications, member.backend, offline=cloud_missed and not member.is_cloud)
        return NoAnswer(tuple(problems), offline=cloud_missed)

    def _call(self, member: _Member, frame: np.ndarray, faces: Sequence[Face]) -> list[Identification]:
        if member.executor is None:
            return member.backend.identify(frame, faces, deadline_s=self._deadline_s)
        future: Future[list[Identification]] = member.executor.submit(
            member.backend.identify, frame, faces, deadline_s=self._deadline_s)
        try:
            return future.result(timeout=self._deadline_s)
        except FutureTimeout as exc:
            future.cancel()
            raise BackendUnavailable(f"no answer within {self._deadline_s * 1000:.0f} ms") from exc
        except CancelledError as exc:  # a per-track call still waiting when the chain closed
            raise BackendUnavailable("the backend chain was closed") from exc

    def circuit_states(self) -> dict[str, CircuitState]:
        """Backend name -> circuit state (for metrics)."""
        return {m.backend.name: m.breaker.state for m in self._members}

    def failures(self) -> dict[str, int]:
        """Backend name -> failed calls since start (timeouts, refusals, 5xx; not open circuits)."""
        return {m.backend.name: m.health.failures for m in self._members}

    def health(self) -> dict[str, HealthReport]:
        return {m.backend.name: m.health.report(m.breaker.state) for m in self._members}

    def close(self) -> None:
        if self._callers is not None:
            self._callers.shutdown(wait=False, cancel_futures=True)
        for member in self._members:
            if member.executor is not None:
                member.executor.shutdown(wait=False, cancel_futures=True)
