"""Prometheus metrics of the running loop, in a registry of their own (one per :class:`Metrics`).

The runner calls the methods below; those that also matter for ``/healthz`` (frames, circuit
states, outbox depth) are forwarded to the :class:`HealthState` given at construction.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Enum, Gauge, Histogram, Info, generate_latest

from edge import __version__
from edge.service.health import CIRCUIT_STATES, CircuitState, HealthState

STAGES = ("detect", "describe", "identify", "pad", "decide")
# Seconds: from a fast detector pass (~4 ms) to a slow cloud call (deadline 0.8 s and beyond).
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
FPS_WINDOW_S = 10.0
CALLS_PER_TRACK_BUCKETS = (1, 2, 3, 4, 5, 10, 20)


class Metrics:
    def __init__(
        self, health: HealthState | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.health = health
        self._clock = clock
        self._lock = threading.Lock()
        self._recent_frames: deque[float] = deque()
        r = self.registry
        Info("edge_build", "Version of the edge appliance", registry=r).info({"version": __version__})
        self._frames = Counter("edge_frames", "Frames taken from the camera", registry=r)
        Gauge("edge_frames_per_second", f"Frame rate over the last {FPS_WINDOW_S:.0f} s",
              registry=r).set_function(self.fps)
        self._last_frame = Gauge("edge_last_frame_timestamp_seconds", "Unix time of the last frame",
                                 registry=r)
        self._stage = Histogram("edge_stage_seconds", "Latency of one pipeline stage", ["stage"],
                                buckets=LATENCY_BUCKETS, registry=r)
        self._decisions = Counter("edge_decisions", "Access decisions", ["decision", "reason"], registry=r)
        self._backend_errors = Counter("edge_backend_errors", "Failed calls to a backend", ["backend"],
                                       registry=r)
        self._circuit = Enum("edge_backend_circuit", "Circuit breaker state of a backend", ["backend"],
                             states=list(CIRCUIT_STATES), registry=r)
        self._outbox = Gauge("edge_outbox_depth", "Events waiting in the MQTT outbox", registry=r)
        self._false_accept = Gauge("edge_false_accept_in_force", "The 1:N false-accept rate the deciding "
                                   "backend's threshold stands for (above the policy: nobody is let in)",
                                   ["backend"], registry=r)
        self._cloud_call = Histogram("edge_cloud_call_seconds", "One per-track cloud call, from sending to "
                                     "its answer, by the backend that answered ('none': no cloud did); "
                                     "its count is the calls made", ["backend"], buckets=LATENCY_BUCKETS,
                                     registry=r)
        self._track_calls = Histogram("edge_cloud_calls_per_track", "Cloud calls one track (one approach "
                                      "of one face) cost, observed when it ends",
                                      buckets=CALLS_PER_TRACK_BUCKETS, registry=r)
        self._sink_errors = Counter("edge_sink_errors", "Events an event sink failed to take "
                                    "(audit log, outbox, JSON lines)", ["sink"], registry=r)

    def frame(self) -> None:
        now = self._clock()
        with self._lock:
            self._recent_frames.append(now)
            self._trim(now)
        self._frames.inc()
        self._last_frame.set_to_current_time()
        if self.health is not None:
            self.health.frame()

    def fps(self) -> float:
        now = self._clock()
        with self._lock:
            self._trim(now)
            count = len(self._recent_frames)
            if count < 2:
                return 0.0
            span = now - self._recent_frames[0]
        return (count - 1) / span if span > 0 else 0.0

    def _trim(self, now: float) -> None:
        while self._recent_frames and now - self._recent_frames[0] > FPS_WINDOW_S:
            self._recent_frames.popleft()

    def false_accept_in_force(self, backend: str, far: float) -> None:
        self._false_accept.labels(backend=backend).set(far)

    def stage(self, name: str, seconds: float) -> None:
        """Record one stage's latency; ``name`` is one of :data:`STAGES`."""
        if name not in STAGES:
            raise ValueError(f"unknown stage {name!r}; one of {STAGES}")
        self._stage.labels(stage=name).observe(seconds)

    def decision(self, decision: str, reason: str) -> None:
        self._decisions.labels(decision=decision, reason=reason).inc()

    def backend_error(self, name: str, count: int = 1) -> None:
        """``count`` more failed calls to backend ``name`` (timeouts, refusals, 5xx)."""
        self._backend_errors.labels(backend=name).inc(count)

    def cloud_call(self, backend: str | None, seconds: float) -> None:
        """A per-track cloud call took ``seconds``; ``backend`` answered it (None: no cloud did)."""
        self._cloud_call.labels(backend=backend or "none").observe(seconds)

    def track_calls(self, calls: int) -> None:
        """A track that ended cost ``calls`` cloud calls."""
        self._track_calls.observe(calls)

    def sink_failed(self, name: str, error: str | None) -> None:
        """Event sink ``name`` failed to take an event (``error``), or took one again (None).

        A failure is a ``/healthz`` problem until the sink takes an event again.
        """
        if error is not None:
            self._sink_errors.labels(sink=name).inc()
        if self.health is not None:
            self.health.problem(f"sink {name}", error)

    def circuit(self, name: str, state: CircuitState) -> None:
        if self.health is not None:
            self.health.circuit(name, state)  # validates the state first
        self._circuit.labels(backend=name).state(state)

    def outbox_depth(self, depth: int) -> None:
        self._outbox.set(depth)
        if self.health is not None:
            self.health.outbox_depth(depth)

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)
