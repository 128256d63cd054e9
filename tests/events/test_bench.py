from edge.events.bench import run_benchmark
from tests.support.mosquitto import Broker


def test_the_benchmark_runs_and_reports_consistent_figures(broker: Broker) -> None:
    result = run_benchmark(broker.host, broker.port, samples=20, events=50, inflight=(1, 5))
    assert 0 < result.latency_p50_ms <= result.latency_p95_ms
    assert 0 < result.commit_p50_ms <= result.commit_p95_ms <= result.latency_p95_ms
    assert set(result.throughput_per_s) == {1, 5} and min(result.throughput_per_s.values()) > 0
