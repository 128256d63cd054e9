"""``edge bench mqtt``: decision-to-subscriber latency and outbox throughput against a broker.

Uses its own temporary outbox and the topic prefix ``edge-bench/<pid>``, so it neither touches
the appliance's state nor its subscribers' topics.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from edge.access.event import AccessEvent
from edge.config.settings import Settings
from edge.events.mqtt import MqttSink


@dataclass(frozen=True)
class BenchResult:
    latency_p50_ms: float
    latency_p95_ms: float
    commit_p50_ms: float
    commit_p95_ms: float
    throughput_per_s: dict[int, float]  # outbox_inflight -> events/s from backlog to subscriber


class _Arrivals:
    """A subscriber that notes when each event id arrives."""

    def __init__(self, host: str, port: int, topic: str) -> None:
        self.times: dict[str, float] = {}
        self._cond = threading.Condition()
        ready = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, 1)
        self.client.on_subscribe = lambda c, u, mid, rcs, p: ready.set()
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.loop_start()
        if not ready.wait(5):
            raise RuntimeError(f"benchmark subscriber could not subscribe at {host}:{port}")

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        arrived = time.perf_counter()
        event_id = json.loads(msg.payload)["id"]
        with self._cond:
            self.times.setdefault(event_id, arrived)
            self._cond.notify_all()

    def wait(self, count: int, timeout: float) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.times) >= count, timeout):
                raise RuntimeError(f"only {len(self.times)} of {count} events arrived in {timeout} s")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _settings(host: str, port: int, state_dir: Path, inflight: int) -> Settings:
    return Settings.model_validate({
        "device": {"id": "bench"},
        "service": {"state_dir": str(state_dir)},
        "mqtt": {"host": host, "port": port, "prefix": f"edge-bench/{os.getpid()}",
                 "outbox_inflight": inflight, "homeassistant": {"discovery": False}},
    })


def _event() -> AccessEvent:
    return AccessEvent(device="bench", door="front", decision="denied", reason="unknown")


def _percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


def _latency(host: str, port: int, state_dir: Path, samples: int) -> tuple[list[float], list[float]]:
    """One event at a time: handle() to the subscriber's arrival, and handle()'s own duration."""
    sink = MqttSink(_settings(host, port, state_dir, 1))
    arrivals = _Arrivals(host, port, sink.topics.access)
    latencies, commits = [], []
    try:
        if not sink.connection.wait_connected(5):
            raise RuntimeError(f"no broker at {host}:{port}")
        for i in range(samples):
            event = _event()
            start = time.perf_counter()
            sink.handle(event)
            commits.append((time.perf_counter() - start) * 1000)
            arrivals.wait(i + 1, 5)
            latencies.append((arrivals.times[event.id] - start) * 1000)
    finally:
        arrivals.close()
        sink.close()
    return latencies, commits


def _throughput(host: str, port: int, state_dir: Path, events: int, inflight: int) -> float:
    """A backlog of ``events`` committed while offline, then drained: events per second."""
    sink = MqttSink(_settings(host, port, state_dir, inflight), start=False)
    arrivals = _Arrivals(host, port, sink.topics.access)
    try:
        for _ in range(events):
            sink.handle(_event())
        start = time.perf_counter()
        sink.start()
        arrivals.wait(events, 120)
        return events / (max(arrivals.times.values()) - start)
    finally:
        arrivals.close()
        sink.close()


def run_benchmark(host: str, port: int, *, samples: int = 300, events: int = 2000,
                  inflight: tuple[int, ...] = (1, 10)) -> BenchResult:
    with tempfile.TemporaryDirectory(prefix="edge-bench-") as tmp:
        latencies, commits = _latency(host, port, Path(tmp) / "latency", samples)
        throughput = {n: _throughput(host, port, Path(tmp) / f"throughput-{n}", events, n)
                      for n in inflight}
    return BenchResult(
        latency_p50_ms=_percentile(latencies, 50), latency_p95_ms=_percentile(latencies, 95),
        commit_p50_ms=_percentile(commits, 50), commit_p95_ms=_percentile(commits, 95),
        throughput_per_s=throughput,
    )
