"""What ``edge run`` itself holds in memory: its peak resident set, measured on a child process.

The child plays the bundled demo clip (looped, unpaced) with the default settings — demo gallery,
both liveness models, no broker, no health server — for a number of frames, so the figure covers
start-up (models, the demo enrollment) and steady running. The kernel's own accounting of the
finished child (``wait4``'s ``ru_maxrss``) is the peak, with nothing sampled.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from edge.errors import BadInput

RUN_FRAMES = 150


def run_peak_rss_mb(frames: int = RUN_FRAMES, threads: int = 1) -> float:
    """Peak RSS in MB of ``edge run --max-frames frames`` on the demo (``threads`` per model)."""
    with tempfile.TemporaryDirectory(prefix="edge-footprint-") as state:
        config = Path(state) / "edge.toml"
        config.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_")}
        env.update(EDGE_MQTT__ENABLED="false", EDGE_SERVICE__HEALTH_PORT="0",
                   EDGE_SERVICE__STATE_DIR=state, EDGE_VISION__THREADS=str(threads),
                   EDGE_CAMERA__SOURCE__LOOP="true", EDGE_CAMERA__SOURCE__REALTIME="false")
        with (Path(state) / "stderr").open("w+") as stderr:
            child = subprocess.Popen(
                [sys.executable, "-c", "from edge.cli.main import main; main()", "--config",
                 str(config), "run", "--quiet", "--max-frames", str(frames)],
                env=env, stdout=subprocess.DEVNULL, stderr=stderr)
            try:
                _, status, usage = os.wait4(child.pid, 0)
            except BaseException:
                child.kill()
                raise
            child.returncode = os.waitstatus_to_exitcode(status)
            stderr.seek(0)
            if child.returncode != 0:
                raise BadInput(f"edge run for the memory figure failed: {stderr.read()[-500:]}")
    return usage.ru_maxrss / 1024  # Linux reports KiB
