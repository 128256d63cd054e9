"""``edge bench cloud BACKEND --latency-ms MS``: the loop asking a slow cloud per track.

The bundled clip (one person, the demo's enrolled driver, 4 s at 30 frames per second) is played
in real time ``plays`` times, each play a fresh appliance (a new approach), with the chain
``[BACKEND, local]`` against that backend's emulator served on loopback with ``MS`` added to
every request, each followed by the same play on the local backend alone, to compare with.
The demo people are enrolled in a scratch gallery and in the emulator, as ``edge people add`` does.

Reported: ``cloud_calls_per_approach`` (mean cloud calls per track, from the appliance's
``edge_cloud_calls_per_track`` metric) and its maximum, ``grant_ms_p50`` / ``grant_ms_p95`` (first
sighting to grant, over the plays' grants: the events' ``latency_ms``, capture time of the first
frame to capture time of the deciding frame), ``fps`` (frames processed per second while the calls
were made), each beside the local-only run's (``*_local``), and each play's decisions. The plays
alternate, with the cloud and local only, so both see the same load on a shared machine.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import SecretStr
from starlette.types import ASGIApp

from edge.config.settings import Settings
from edge.emulators.common import ServerThread
from edge.emulators.latency import with_latency
from edge.errors import BadInput
from edge.eval.bench.device import BENCH_CLIP
from edge.eval.bench.loop import Played, play_clip
from edge.gallery.store import GalleryStore
from edge.identify.config import BackendConfig
from edge.identify.factory import build_backend
from edge.identify.local.config import LocalBackendConfig
from edge.identify.plugin import BuildContext
from edge.service.demo import seed_demo_gallery
from edge.vision.pipeline import FaceAnalyzer

CLOUD_PLAYS = 5
GROUPS = ["default"]  # the demo people's group
_ID, _SECRET = "AKIDBENCH", "bench-secret-key"  # the emulator's own credentials
_APPID = "1250000000"
# the emulator's own lines (uvicorn's start and stop, one per answered request) and the client's
# line per request: the bench prints figures, not the traffic behind them
_TRAFFIC_LOGGERS = ("uvicorn", "edge.emulators", "httpx")

Emulated = tuple[ASGIApp, Callable[[str], BackendConfig]]  # the app, and url -> the backend's config


def _youtu(settings: Settings, state: Path) -> Emulated:
    from edge.emulators.youtu.app import build
    from edge.identify.youtu.config import YoutuBackendConfig

    return build(settings, state, _APPID, {_ID: _SECRET}), lambda url: YoutuBackendConfig(
        base_url=url, appid=_APPID, secret_id=_ID, secret_key=SecretStr(_SECRET), group_ids=GROUPS)


def _iai(settings: Settings, state: Path) -> Emulated:
    from edge.emulators.iai.app import build
    from edge.identify.iai.config import IaiBackendConfig

    return build(settings.vision, state, {_ID: _SECRET}).app, lambda url: IaiBackendConfig(
        endpoint=url.removeprefix("http://"), scheme="http", secret_id=_ID, secret_key=SecretStr(_SECRET),
        group_ids=GROUPS)


def _sensetime(settings: Settings, state: Path) -> Emulated:
    from edge.emulators.sensetime.app import create_app
    from edge.emulators.sensetime.engine import VisionEngine
    from edge.emulators.sensetime.settings import EmulatorSettings
    from edge.identify.sensetime.config import SenseTimeBackendConfig

    app = create_app(EmulatorSettings(_ID, _SECRET, state), VisionEngine(settings.vision))
    return app, lambda url: SenseTimeBackendConfig(base_url=url, api_id=_ID, api_secret=SecretStr(_SECRET),
                                                   group_id=GROUPS[0])


EMULATED: dict[str, Callable[[Settings, Path], Emulated]] = {
    "youtu": _youtu, "iai": _iai, "sensetime": _sensetime,
}


@contextmanager
def emulated_cloud(backend: str, settings: Settings, state: Path, latency_ms: float
                   ) -> Iterator[BackendConfig]:
    """The emulator of ``backend`` on a free loopback port, ``latency_ms`` late; its backend config."""
    if backend not in EMULATED:
        raise BadInput(f"--cloud {backend}: the cloud bench runs {', '.join(EMULATED)}")
    app, config = EMULATED[backend](settings, state)
    loggers = [logging.getLogger(name) for name in _TRAFFIC_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        with ServerThread(with_latency(app, latency_ms)) as server:
            yield config(server.url)
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _calls(played: Played) -> tuple[float, float]:
    """(calls, tracks asked about) of one play, from its ``edge_cloud_calls_per_track`` metric."""
    registry = played.metrics.registry
    calls = registry.get_sample_value("edge_cloud_calls_per_track_sum") or 0.0
    tracks = registry.get_sample_value("edge_cloud_calls_per_track_count") or 0.0
    return calls, tracks


def _most_calls(played: Played) -> float | None:
    """The smallest bucket bound holding every track's calls (exact up to 5 calls)."""
    registry = played.metrics.registry
    tracks = registry.get_sample_value("edge_cloud_calls_per_track_count") or 0.0
    for bound in ("1.0", "2.0", "3.0", "4.0", "5.0", "10.0", "20.0"):
        if (registry.get_sample_value("edge_cloud_calls_per_track_bucket", {"le": bound}) or 0.0) >= tracks:
            return float(bound) if tracks else None
    return None


def _fps(plays: list[Played]) -> float:
    return round(sum(p.frames_processed for p in plays) / sum(p.elapsed_s for p in plays), 2)


def _grant_ms(plays: list[Played]) -> list[float]:
    """First sighting to grant of every grant of the plays."""
    return [e.latency_ms for p in plays for e in p.events
            if e.decision == "granted" and e.latency_ms is not None]


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def bench_cloud(settings: Settings, backend: str, latency_ms: float, plays: int = CLOUD_PLAYS,
                clip: Path = BENCH_CLIP) -> dict[str, Any]:
    """The figures above for ``plays`` real-time plays of ``clip`` with and without the cloud."""
    with tempfile.TemporaryDirectory(prefix="edge-cloud-bench-") as scratch:
        state = Path(scratch)
        (state / "cloud").mkdir()
        with emulated_cloud(backend, settings, state / "cloud", latency_ms) as cloud:
            service = {"state_dir": state / "edge", "health_port": 0}
            local_only = settings.model_copy(update={
                "service": settings.service.model_copy(update=service),
                "mqtt": settings.mqtt.model_copy(update={"enabled": False}),
                "gallery": settings.gallery.model_copy(update={"path": None, "encryption_key_file": None}),
                "identify": settings.identify.model_copy(update={"backends": [LocalBackendConfig()]}),
                "calibration": settings.calibration.model_copy(update={"enabled": False}),
            })
            chain = [cloud, LocalBackendConfig()]
            with_cloud = local_only.model_copy(update={
                "identify": local_only.identify.model_copy(update={"backends": chain}),
            })
            enroller = build_backend(cloud, BuildContext(with_cloud))
            with GalleryStore.from_settings(with_cloud) as gallery:
                seed_demo_gallery(gallery, FaceAnalyzer(settings.vision), with_cloud, [enroller])
            cloud_plays, local_plays = [], []
            for _ in range(plays):
                cloud_plays.append(play_clip(with_cloud, clip))
                local_plays.append(play_clip(local_only, clip))
    calls, tracks = (sum(values) for values in zip(*map(_calls, cloud_plays)))
    grants, local_grants = _grant_ms(cloud_plays), _grant_ms(local_plays)
    most = [m for m in map(_most_calls, cloud_plays) if m is not None]
    return {
        "cloud": backend,
        "cloud_latency_ms": latency_ms,
        "clip": clip.name,
        "plays": plays,
        "cloud_calls": int(calls),
        "tracks": int(tracks),
        "cloud_calls_per_approach": round(calls / tracks, 2) if tracks else None,
        "cloud_calls_per_approach_max": max(most) if most else None,
        "grants": len(grants),
        "grant_ms_p50": _percentile(grants, 50),
        "grant_ms_p95": _percentile(grants, 95),
        "grant_ms_p50_local": _percentile(local_grants, 50),
        "grant_ms_p95_local": _percentile(local_grants, 95),
        "fps": _fps(cloud_plays),
        "fps_local": _fps(local_plays),
        "decisions": [[f"{e.decision}:{e.reason}:{e.person_id or '-'}" for e in p.events]
                      for p in cloud_plays],
    }


def format_cloud_bench(figures: dict[str, Any]) -> str:
    """The figures as lines for a terminal."""
    return "\n".join([
        f"{figures['cloud']} emulator answering {figures['cloud_latency_ms']:g} ms late, "
        f"{figures['plays']} real-time plays of {figures['clip']}",
        f"cloud calls per approach: {figures['cloud_calls_per_approach']} "
        f"(max {figures['cloud_calls_per_approach_max']}; {figures['cloud_calls']} calls, "
        f"{figures['tracks']} tracks)",
        f"first sighting to grant: p50 {figures['grant_ms_p50']} ms, p95 {figures['grant_ms_p95']} ms "
        f"({figures['grants']} grants); local only: p50 {figures['grant_ms_p50_local']} ms, "
        f"p95 {figures['grant_ms_p95_local']} ms",
        f"frames per second: {figures['fps']} with the cloud, {figures['fps_local']} local only",
    ])
