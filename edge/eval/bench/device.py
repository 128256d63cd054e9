"""``edge bench``: per-stage latency of one face, 1:N search, end-to-end frames per second, memory.

Stage times are medians over repeated calls on one 640x480 frame holding one face (the demo
portrait, centre-cropped to 4:3 and scaled), after a warm-up. The 1:N search figures are the
gallery's own benchmark (:func:`edge.eval.bench.gallery.search_figures`); frames per second is the
whole ``FaceAnalyzer.analyze`` (detect, quality, describe; liveness when enabled) plus video decoding over
the bundled clip. PAD's cost is the stage's work per frame of one tracked face and over a whole
track (``vision.pad.max_frames`` frames of the bundled clip, every other frame: ~12 frames/s).
``run_rss_mb`` is the peak resident memory of ``edge run`` itself
(:mod:`edge.eval.footprint`); ``rss_mb`` is this benchmark's own peak, which its 100,000-face
search galleries dominate.
"""

from __future__ import annotations

import itertools
import resource
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from edge.errors import BadInput
from edge.eval.bench.gallery import search_figures
from edge.eval.bench.timing import time_per_call
from edge.eval.footprint import run_peak_rss_mb
from edge.eval.pad import pad_frames
from edge.service.demo import DEMO_DIR
from edge.vision.image_io import decode_image, read_image
from edge.vision.pad.base import PadFrame
from edge.vision.pad.config import PadSettings
from edge.vision.pad.stage import PadStage
from edge.vision.pipeline import FaceAnalyzer

BENCH_PORTRAIT = DEMO_DIR / "people" / "eileen-collins" / "1.jpg"
BENCH_CLIP = DEMO_DIR / "carphone.mp4"
SEARCH_SIZES = (1_000, 10_000, 100_000)


def bench_frame(portrait: Path = BENCH_PORTRAIT, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """A ``size`` frame with one face: the portrait's central crop of that aspect, scaled."""
    image = read_image(portrait, max_pixels=40_000_000)
    h, w = image.shape[:2]
    aspect = size[0] / size[1]
    cw, ch = min(w, round(h * aspect)), min(h, round(w / aspect))
    crop = image[(h - ch) // 2 : (h - ch) // 2 + ch, (w - cw) // 2 : (w - cw) // 2 + cw]
    return cv2.resize(crop, size, interpolation=cv2.INTER_AREA)


def stage_times(analyzer: FaceAnalyzer, frame: np.ndarray, repeat: int) -> dict[str, float]:
    """Median wall-clock milliseconds of each stage on ``frame`` (its largest face)."""
    detections = analyzer.detect(frame)
    if not detections:
        raise BadInput("no face in the benchmark frame")
    face = detections[:1]
    chips_rgb = analyzer.chips(frame, face)[:, :, :, ::-1]
    encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    calls: dict[str, Callable[[], object]] = {
        "decode": lambda: decode_image(encoded, max_pixels=analyzer.settings.max_image_pixels),
        "detect": lambda: analyzer.detect(frame),
        "align": lambda: analyzer.chips(frame, face),
        "describe": lambda: analyzer.descriptor.describe(chips_rgb),
        "per_face": lambda: analyzer.describe(frame, analyzer.detect(frame)[:1]),
    }
    liveness = analyzer.liveness
    if liveness is not None:
        calls["liveness"] = lambda: liveness.score(frame, face)
    return {name: time_per_call(call, repeat=repeat, warmup=3)["median_ms"] for name, call in calls.items()}


def clip_fps(
    analyzer: FaceAnalyzer, clip: Path = BENCH_CLIP, max_frames: int | None = None
) -> dict[str, float]:
    """Frames per second of decode + ``analyze`` over the clip, and the faces seen per frame."""
    capture = cv2.VideoCapture(str(clip))
    if not capture.isOpened():
        raise BadInput(f"{clip}: cannot open the clip")
    frames = faces = 0
    started = time.perf_counter()
    try:
        while max_frames is None or frames < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            faces += len(analyzer.analyze(frame))
            frames += 1
    finally:
        capture.release()
    elapsed = time.perf_counter() - started
    if not frames:
        raise BadInput(f"{clip}: no frames")
    return {"fps": frames / elapsed, "frames": frames, "faces_per_frame": faces / frames}


def sampled_frames(clip: Path, step: int = 1) -> Iterator[np.ndarray]:
    """Every ``step``-th frame of a video file, in order (BGR images)."""
    capture = cv2.VideoCapture(str(clip))
    try:
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            if index % step == 0:
                yield frame
            index += 1
    finally:
        capture.release()


def clip_frames(clip: Path, count: int, step: int) -> list[np.ndarray]:
    """The first ``count`` frames of the clip taking every ``step``-th."""
    return list(itertools.islice(sampled_frames(clip, step), count))


def pad_cost(analyzer: FaceAnalyzer, settings: PadSettings, repeat: int, clip: Path = BENCH_CLIP,
             step: int = 2) -> dict[str, Any]:
    """Milliseconds of the PAD stage per track (median of ``repeat`` passes over one track, each
    with a fresh stage), per frame (that over the track's frames) and its slowest frame, and after
    how many frames it reached its verdict; ``per_method_frame_ms``: the same per frame for each
    configured method alone (a stage with that one method)."""
    track = pad_frames(clip_frames(clip, settings.max_frames, step), analyzer.detect)
    if len(track) < settings.min_frames:
        raise BadInput(f"{clip}: too few frames with a face for PAD")
    figures = _stage_cost(track, settings, repeat)
    figures["methods"] = [m.type for m in settings.methods]
    figures["per_method_frame_ms"] = {
        m.type: _stage_cost(track, settings.model_copy(update={"methods": [m]}), repeat)["per_frame_ms"]
        for m in settings.methods}
    return figures


def _stage_cost(track: list[PadFrame], settings: PadSettings, repeat: int) -> dict[str, Any]:
    slowest = 0.0
    per_track: list[float] = []
    verdict_after: int | None = None
    outcome = "undecided"
    for _ in range(repeat):
        stage = PadStage.from_settings(settings)
        total = 0.0
        for k, frame in enumerate([f.copy() for f in track]):  # the stage releases the frames' pixels
            started = time.perf_counter()
            verdict = stage.observe(1, frame)
            elapsed = (time.perf_counter() - started) * 1000
            slowest = max(slowest, elapsed)
            total += elapsed
            if verdict.outcome != "undecided" and verdict_after is None:
                verdict_after, outcome = k + 1, verdict.outcome
        per_track.append(total)
    track_ms = float(np.median(per_track))
    return {"per_frame_ms": track_ms / len(track), "slowest_frame_ms": slowest, "per_track_ms": track_ms,
            "track_frames": len(track), "verdict_after_frames": verdict_after, "verdict": outcome}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def run_bench(analyzer: FaceAnalyzer, *, quick: bool = False,
              pad: PadSettings | None = None) -> dict[str, Any]:
    """Every figure of ``edge bench --json``. ``quick``: few repeats and searches, 10 frames."""
    run_rss = run_peak_rss_mb(frames=10 if quick else 150, threads=analyzer.settings.threads)
    stages = stage_times(analyzer, bench_frame(), repeat=5 if quick else 50)
    pad = pad or PadSettings()
    pad_figures = pad_cost(analyzer, pad, repeat=2 if quick else 10) if pad.enabled else None
    search = {str(n): search_figures(n, queries=5 if quick else 200).median_ms for n in SEARCH_SIZES}
    video = clip_fps(analyzer, max_frames=10 if quick else None)
    return {
        "per_face_ms": stages["per_face"],
        "decode_ms": stages["decode"],
        "detect_ms": stages["detect"],
        "align_ms": stages["align"],
        "describe_ms": stages["describe"],
        "liveness_ms": stages.get("liveness"),
        "pad": pad_figures,
        "search_ms": search,
        "fps": video["fps"],
        "clip": {"file": BENCH_CLIP.name, "frames": video["frames"],
                 "faces_per_frame": video["faces_per_frame"]},
        "run_rss_mb": run_rss,
        "rss_mb": peak_rss_mb(),
        "threads": analyzer.settings.threads,
        "descriptor": analyzer.descriptor.name,
        "flip_test": analyzer.settings.use_flip_test,
        "quick": quick,
    }


def format_bench(figures: dict[str, Any]) -> str:
    def ms(value: float | None) -> str:
        return "off" if value is None else f"{value:8.2f} ms"

    lines = [f"one face, 640x480, {figures['threads']} thread(s), {figures['descriptor']}, flip test "
             f"{'on' if figures['flip_test'] else 'off'} (median):"]
    for label, key in (("decode (JPEG)", "decode_ms"), ("detect", "detect_ms"), ("align", "align_ms"),
                       ("describe", "describe_ms"), ("liveness", "liveness_ms"),
                       ("detect+align+describe", "per_face_ms")):
        lines.append(f"  {label:<22} {ms(figures[key])}")
    pad = figures["pad"]
    if pad is None:
        lines.append("PAD: off")
    else:
        per_frame, slowest = ms(pad["per_frame_ms"]).strip(), ms(pad["slowest_frame_ms"]).strip()
        lines.append(f"PAD ({', '.join(pad['methods'])}) on a {pad['track_frames']}-frame track of the clip: "
                     f"{per_frame} per frame (slowest {slowest}), {ms(pad['per_track_ms']).strip()} per "
                     f"track; {pad['verdict']} after {pad['verdict_after_frames']} frames")
        lines.append("  each method alone, per frame: " + ", ".join(
            f"{name} {ms(value).strip()}" for name, value in pad["per_method_frame_ms"].items()))
    lines.append("1:N search, one face per person, top 5 (median):")
    lines += [f"  {int(n):>7} enrolled      {ms(v)}" for n, v in figures["search_ms"].items()]
    clip = figures["clip"]
    lines.append(f"end to end on {clip['file']} ({clip['frames']} frames, {clip['faces_per_frame']:.2f} "
                 f"faces/frame): {figures['fps']:.1f} frames/s")
    lines.append(f"edge run, peak memory (RSS): {figures['run_rss_mb']:.0f} MB")
    lines.append(f"this benchmark, peak memory (RSS, with the 100,000-face galleries): "
                 f"{figures['rss_mb']:.0f} MB")
    return "\n".join(lines)
