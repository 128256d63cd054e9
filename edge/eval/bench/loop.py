"""``edge bench loop CLIP...``: the whole loop on a clip played in real time, as a camera would
deliver it, and flat out.

Frames arrive at the clip's own rate; when the loop is slower, stale frames are dropped exactly
as with a camera. Reported: frames processed per second, frames dropped, and the latency from a
track's first sighting to its decision (wall clock, so it includes every processing delay).
"""

from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge.access.event import AccessEvent
from edge.capture.config import OpenCVSourceConfig
from edge.config.settings import Settings, load_settings
from edge.events.memory import ListSink
from edge.gallery.store import GalleryStore
from edge.service.demo import seed_demo_gallery
from edge.service.main import assemble
from edge.service.metrics import Metrics
from edge.vision.pipeline import FaceAnalyzer


@dataclass(frozen=True)
class Played:
    """One play of a clip through the loop."""

    events: list[AccessEvent]
    frames_processed: int
    frames_dropped: int
    elapsed_s: float
    metrics: Metrics


def play_clip(settings: Settings, clip: Path, *, realtime: bool = True) -> Played:
    """Play ``clip`` through the loop; ``realtime=False`` processes every frame as fast as it can.

    Unknown-face events are not rate-limited here, so every track's decision latency counts.
    """
    source = OpenCVSourceConfig(uri=str(clip), realtime=realtime, loop=False)
    settings = settings.model_copy(update={
        "camera": settings.camera.model_copy(update={"source": source}),
        "access": settings.access.model_copy(update={"unknown_event_interval_s": 0.0}),
    })
    sink = ListSink()
    with assemble(settings, [sink]) as running:
        started = time.perf_counter()
        processed = running.appliance.run(running.reader, threading.Event())
        elapsed = time.perf_counter() - started
        dropped = running.reader.stats.dropped
    return Played(sink.events, processed, dropped, elapsed, running.metrics)


def bench_clip(settings: Settings, clip: Path, *, realtime: bool = True) -> dict[str, Any]:
    """:func:`play_clip`'s frame rate, decisions and first-sighting-to-decision latencies."""
    played = play_clip(settings, clip, realtime=realtime)
    latencies = [e.latency_ms for e in played.events if e.latency_ms is not None]
    return {
        "clip": clip.name,
        "realtime": realtime,
        "frames_processed": played.frames_processed,
        "frames_dropped": played.frames_dropped,
        "fps": round(played.frames_processed / played.elapsed_s, 2) if played.elapsed_s else None,
        "decisions": [f"{e.decision}:{e.reason}:{e.person_id or '-'}" for e in played.events],
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
    }


def bench_clips(clips: list[Path]) -> list[dict[str, Any]]:
    """Each clip in both modes (real time, then flat out) against the demo gallery, enrolled in
    a temporary state folder under the default settings (the appliance's own state is not touched)."""
    with tempfile.TemporaryDirectory() as state:
        settings = load_settings(None, mqtt={"enabled": False},
                                 service={"health_port": 0, "state_dir": state})
        with GalleryStore.from_settings(settings) as gallery:
            seed_demo_gallery(gallery, FaceAnalyzer(settings.vision), settings)
        return [bench_clip(settings, clip, realtime=realtime) for clip in clips for realtime in (True, False)]
