"""What ``edge run`` itself holds in memory: its peak resident set, measured on a child process.

The child plays the bundled demo clip (looped, unpaced) with the default settings — demo gallery,
PAD, no broker, no health server — for a number of frames, so the figure covers
start-up (models, the demo enrollment) and steady running. The child writes its own high-water
mark (``VmHWM`` of ``/proc/self/status``) when it exits: the rusage of a child would also count
the parent's pages it was forked with.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from edge.errors import BadInput

RUN_FRAMES = 150
_CHILD = """
import atexit, sys
from pathlib import Path
from edge.cli.main import main

def report() -> None:
    status = Path("/proc/self/status").read_text()
    Path(sys.argv.pop(1)).write_text(next(l for l in status.splitlines() if l.startswith("VmHWM")))

atexit.register(report)
main(sys.argv[2:])
"""


def run_peak_rss_mb(frames: int = RUN_FRAMES, threads: int = 1, steady_memory: bool = False) -> float:
    """Peak RSS in MB of ``edge run --max-frames frames`` on the demo (``threads`` per model,
    ``service.steady_memory`` as given)."""
    with tempfile.TemporaryDirectory(prefix="edge-footprint-") as state:
        config, report = Path(state) / "edge.toml", Path(state) / "vmhwm"
        config.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_")}
        env.update(EDGE_MQTT__ENABLED="false", EDGE_SERVICE__HEALTH_PORT="0",
                   EDGE_SERVICE__STATE_DIR=state, EDGE_VISION__THREADS=str(threads),
                   EDGE_CAMERA__SOURCE__LOOP="true", EDGE_CAMERA__SOURCE__REALTIME="false",
                   EDGE_SERVICE__STEADY_MEMORY=str(steady_memory).lower())
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(report), "--config", str(config), "run", "--quiet",
             "--max-frames", str(frames)],
            env=env, capture_output=True, text=True)
        if done.returncode != 0 or not report.exists():
            raise BadInput(f"edge run for the memory figure failed: {done.stderr.strip()[-500:]}")
        kib = int(report.read_text().split()[1])  # "VmHWM:   234880 kB"
    return kib / 1024
