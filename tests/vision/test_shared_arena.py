"""The sessions' activations stay in one onnxruntime arena between runs instead of going back to
glibc's heap every frame (where objects made in between split the hole each one leaves and the
heap grows: docs/benchmarks.md, "Memory: what edge run holds")."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# a fresh process (the arena is the process's): glibc's bytes in use, in MB, after the detector's
# first run (its activations: a 3 MB block), then how much more runs of it and the descriptor ask
_CHILD = """
import ctypes, json
import numpy as np
from edge.vision.config import DEFAULT_MODELS_DIR
from edge.vision.models import create_session, verified_model

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2

def in_use():
    info = libc.mallinfo2()
    return (info.uordblks + info.hblkhd) / (1 << 20)

def session(name, size):
    made = create_session(verified_model(DEFAULT_MODELS_DIR, name))
    return made, {made.get_inputs()[0].name: np.zeros((1, size, size, 3), np.float32)}

detector, d_feed = session("facemesh-detection-full", 192)
start = in_use()
detector.run(None, d_feed)
held = in_use() - start
descriptor, f_feed = session("facenet-int8", 160)
for _ in range(2):  # the arena settles on a layout that fits both models' activations
    detector.run(None, d_feed)
    descriptor.run(None, f_feed)
settled = in_use()
for _ in range(10):
    detector.run(None, d_feed)
    descriptor.run(None, f_feed)
print(json.dumps({"held": held, "growth": in_use() - settled}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallinfo2")
def test_activations_stay_in_one_arena_across_runs_and_sessions() -> None:
    done = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True)
    mb = json.loads(done.stdout)
    assert mb["held"] >= 2.5  # the detector's 3 MB block is kept, not freed to the heap
    assert abs(mb["growth"]) < 0.5  # later frames ask glibc for nothing
