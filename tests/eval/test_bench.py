"""`edge bench`: one runner lists every benchmark; the MQTT one against a real broker."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import run_edge
from tests.support.mosquitto import Broker


def test_bench_help_lists_every_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_edge(capsys, "bench", "--help")
    assert code == 0
    commands = out.split("Commands:")[1].split()
    assert {"cloud", "loop", "mqtt", "gallery", "live-view"} <= set(commands)
    assert "--threads" in out and "--quick" in out  # the device figures: `edge bench` itself


def test_the_mqtt_benchmark_runs_and_reports_consistent_figures(
        broker: Broker, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_edge(capsys, "bench", "mqtt", "--host", broker.host, "--port", str(broker.port),
                              "--samples", "20", "--events", "50")
    assert code == 0, err
    result = json.loads(out)
    assert 0 < result["latency_p50_ms"] <= result["latency_p95_ms"]
    assert 0 < result["commit_p50_ms"] <= result["commit_p95_ms"] <= result["latency_p95_ms"]
    assert set(result["throughput_per_s"]) == {"1", "10"} and min(result["throughput_per_s"].values()) > 0
