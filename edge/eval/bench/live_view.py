"""Benchmark: the capture loop's frames per second without and with one live-view viewer.

The loop processes the bundled clip (looped, every frame, as fast as it can, the demo gallery
enrolled) with the console served on loopback. "With a viewer" means one real HTTP client
reading ``/live.mjpg`` for the whole run, so the encoder thread, the server and the client all
compete with the loop for the CPU, as a phone watching the door would. Rounds alternate between
the two conditions so that a busy machine disturbs both alike; the median of each is reported.

``edge bench live-view [--frames N] [--rounds R]``: one JSON line.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from typing import Any

import httpx

from edge.config.settings import Settings, load_settings
from edge.gallery.store import GalleryStore
from edge.service.demo import DEMO_DIR, seed_demo_gallery
from edge.service.main import Running, assemble
from edge.ui.auth import write_password_file
from edge.vision.pipeline import FaceAnalyzer

BENCH_PASSWORD = "benchmark-only-password"


def _login(client: httpx.Client, user: str) -> None:
    page = client.get("/login")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    response = client.post("/login", data={"csrf": token, "user": user, "password": BENCH_PASSWORD})
    if response.status_code != 303:
        raise RuntimeError(f"benchmark login failed: HTTP {response.status_code}")


class Viewer:
    """One client reading the MJPEG stream in a thread, counting the frames it received."""

    def __init__(self, url: str, user: str) -> None:
        self.frames = 0
        self._stop = threading.Event()
        self._client = httpx.Client(base_url=url, timeout=10.0)
        _login(self._client, user)
        self._thread = threading.Thread(target=self._read, name="bench-viewer", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with self._client.stream("GET", "/live.mjpg") as response:
            for chunk in response.iter_bytes():
                self.frames += chunk.count(b"Content-Type: image/jpeg")
                if self._stop.is_set():
                    return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._client.close()


def _round(running: Running, frames: int) -> tuple[float, float]:
    """(frames per second, this process's CPU milliseconds per frame) over ``frames`` frames.

    The CPU figure counts the loop and everything the viewer costs (encoder, server, client),
    and unlike the wall-clock rate it does not move with other processes' load.
    """
    started, cpu_started = time.perf_counter(), time.process_time()
    processed = running.appliance.run(running.reader, threading.Event(), max_frames=frames)
    cpu_ms = 1000 * (time.process_time() - cpu_started) / processed
    return processed / (time.perf_counter() - started), cpu_ms


def bench(settings: Settings, *, frames: int, rounds: int) -> dict[str, Any]:
    fps: dict[str, list[float]] = {"without": [], "with": []}
    cpu: dict[str, list[float]] = {"without": [], "with": []}
    received = 0
    with assemble(settings) as running:
        url = f"http://{settings.service.health_host}:{settings.service.health_port}"
        _round(running, 30)  # warm-up: models, caches, the first track
        for _ in range(rounds):
            for condition in ("without", "with"):
                viewer = Viewer(url, settings.ui.user) if condition == "with" else None
                try:
                    rate, cpu_ms = _round(running, frames)
                finally:
                    if viewer is not None:
                        viewer.close()
                        received += viewer.frames
                fps[condition].append(rate)
                cpu[condition].append(cpu_ms)
    without, with_viewer = statistics.median(fps["without"]), statistics.median(fps["with"])
    return {
        "clip": "carphone.mp4 (176x144), looped, every frame",
        "frames_per_round": frames,
        "rounds": rounds,
        "fps_without_viewer": round(without, 1),
        "fps_with_viewer": round(with_viewer, 1),
        "change_percent": round(100 * (with_viewer - without) / without, 1),
        "cpu_ms_per_frame_without_viewer": round(statistics.median(cpu["without"]), 1),
        "cpu_ms_per_frame_with_viewer": round(statistics.median(cpu["with"]), 1),
        "live_fps_limit": settings.ui.live_fps,
        "jpegs_received": received,
        "fps_all_rounds": {k: [round(v, 1) for v in vs] for k, vs in fps.items()},
    }


def bench_live_view(*, frames: int, rounds: int, port: int) -> dict[str, Any]:
    """:func:`bench` on the bundled clip with the demo gallery, in a temporary state folder, the
    console on loopback ``port``."""
    with tempfile.TemporaryDirectory() as state:
        clip = {"type": "opencv", "uri": str(DEMO_DIR / "carphone.mp4"), "loop": True, "realtime": False}
        settings = load_settings(None, mqtt={"enabled": False}, camera={"source": clip},
                                 service={"health_port": port, "state_dir": state})
        write_password_file(settings.ui_password_path, BENCH_PASSWORD)
        with GalleryStore.from_settings(settings) as gallery:
            seed_demo_gallery(gallery, FaceAnalyzer(settings.vision), settings)
        return bench(settings, frames=frames, rounds=rounds)
