"""/healthz and /metrics answer over real HTTP on loopback.

What the running loop records (stages, decisions, backend errors, failing sinks) is tested on
the loop itself: tests/loop/test_emitted.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from edge.config.settings import load_settings
from edge.emulators.common import ServerThread
from edge.errors import WorldError
from edge.service.endpoints import health_server, serve_health
from edge.service.health import HealthState
from edge.service.metrics import Metrics
from tests.support.mosquitto import free_port


class FakeClock:
    """A monotonic clock the test moves by hand (frame ages, frame rate)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def served(clock: FakeClock) -> Iterator[tuple[Metrics, ServerThread]]:
    metrics = Metrics(HealthState(frame_max_age_s=5, outbox_max=10, clock=clock), clock=clock)
    assert metrics.health is not None
    with health_server("127.0.0.1", 0, metrics, metrics.health) as server:
        yield metrics, server


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_healthz_ok_then_degraded_with_reasons(
    served: tuple[Metrics, ServerThread], clock: FakeClock
) -> None:
    metrics, server = served
    metrics.frame()
    response = httpx.get(server.url + "/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["reasons"] == []

    clock.now += 7  # no frame for 7 s, a cloud failing, the broker away
    metrics.circuit("youtu", "open")
    metrics.outbox_depth(42)
    response = httpx.get(server.url + "/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["reasons"] == [
        "last frame 7.0 s ago",
        "backend youtu: circuit open",
        "outbox holds 42 events (broker unreachable?)",
    ]
    assert body["outbox_depth"] == 42 and body["circuits"] == {"youtu": "open"}

    metrics.frame()
    metrics.circuit("youtu", "closed")
    metrics.outbox_depth(0)
    assert httpx.get(server.url + "/healthz").status_code == 200


def test_metrics_exposition(served: tuple[Metrics, ServerThread], clock: FakeClock) -> None:
    metrics, server = served
    for _ in range(21):  # 20 frame intervals of 0.1 s = 10 fps
        metrics.frame()
        clock.now += 0.1
    clock.now -= 0.1
    metrics.circuit("youtu", "half_open")
    metrics.outbox_depth(3)

    response = httpx.get(server.url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    got = samples(response.text)
    assert got[("edge_frames_total", ())] == 21
    assert got[("edge_frames_per_second", ())] == pytest.approx(10.0)
    assert got[("edge_backend_circuit", (("backend", "youtu"), ("edge_backend_circuit", "half_open")))] == 1
    assert got[("edge_backend_circuit", (("backend", "youtu"), ("edge_backend_circuit", "open")))] == 0
    assert got[("edge_outbox_depth", ())] == 3

    clock.now += 11  # the camera stopped: the rate falls to zero
    assert metrics.fps() == 0.0


def test_each_metrics_object_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.frame()
    assert "edge_frames_total 1.0" in first.exposition().decode()
    assert "edge_frames_total 0.0" in second.exposition().decode()


def test_bad_names_are_refused() -> None:
    metrics = Metrics(HealthState(frame_max_age_s=5, outbox_max=10))
    with pytest.raises(ValueError, match="unknown stage"):
        metrics.stage("dance", 0.1)
    with pytest.raises(ValueError, match="circuit state"):
        metrics.circuit("youtu", "ajar")


def test_no_frame_since_start_is_degraded(clock: FakeClock) -> None:
    health = HealthState(frame_max_age_s=5, outbox_max=10, clock=clock)
    assert health.report().ok  # just started
    clock.now += 6
    assert health.report().reasons == ("no frame since start 6.0 s ago",)
    health.problem("camera", "reopening /dev/video0")
    assert "camera: reopening /dev/video0" in health.report().reasons
    health.problem("camera", None)
    assert "camera: reopening /dev/video0" not in health.report().reasons


def test_serve_health_from_settings() -> None:
    settings = load_settings(service={"health_port": 0})
    health = HealthState.from_settings(settings.service)
    assert serve_health(settings.service, Metrics(health), health) is None
    port = free_port()
    settings = load_settings(service={"health_port": port})
    server = serve_health(settings.service, Metrics(health), health)
    assert server is not None
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/nothing").status_code == 404
    finally:
        server.stop()


def test_port_in_use_is_a_clear_error() -> None:
    health = HealthState(frame_max_age_s=5, outbox_max=10)
    with (
        health_server("127.0.0.1", 0, Metrics(health), health) as first,
        pytest.raises(WorldError, match=f"cannot listen on 127.0.0.1:{first.port}"),
    ):
        health_server("127.0.0.1", first.port, Metrics(health), health)
