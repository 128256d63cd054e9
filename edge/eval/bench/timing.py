"""The timer of the benchmarks: milliseconds per call after a warm-up."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def time_per_call(call: Callable[[], object], *, repeat: int = 50, warmup: int = 5) -> dict[str, float]:
    """Milliseconds per call of ``call`` after a warm-up: wall-clock median and 90th percentile,
    and the median CPU time of the calling thread (``cpu_ms``), which other processes competing
    for the cores do not inflate (onnxruntime with one intra-op thread runs in the caller).
    """
    for _ in range(warmup):
        call()
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.thread_time()
        call()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    return {
        "median_ms": float(np.median(wall)),
        "p90_ms": float(np.percentile(wall, 90)),
        "cpu_ms": float(np.median(cpu)),
    }
