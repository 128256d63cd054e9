"""Rough single-thread latency of each shipped model with onnxruntime (batch 1).

usage: python models/tools/bench.py [--runs 200] [--threads 1]
Prints median / p90 ms per model and the onnxruntime version and CPU.
"""

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

MODELS = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    man = json.loads((MODELS / "manifest.json").read_text())
    cpu = platform.processor()
    if Path("/proc/cpuinfo").exists():
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), cpu)
    print(f"onnxruntime {ort.__version__}, {cpu}, intra_op_num_threads={a.threads}, batch 1, {a.runs} runs")
    rng = np.random.default_rng(0)
    for name, m in man["models"].items():
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = a.threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        t0 = time.perf_counter()
        sess = ort.InferenceSession(str(MODELS / m["file"]), opts, providers=["CPUExecutionProvider"])
        load_ms = (time.perf_counter() - t0) * 1e3
        inp = m["inputs"][0]
        shape = [1 if not isinstance(d, int) else d for d in inp["shape"]]
        x = rng.uniform(0, 1, shape).astype(np.float32)
        feed = {inp["name"]: x}
        for _ in range(10):
            sess.run(None, feed)
        ts = []
        for _ in range(a.runs):
            t = time.perf_counter()
            sess.run(None, feed)
            ts.append((time.perf_counter() - t) * 1e3)
        ts = np.array(ts)
        print(
            f"{name:26s} median {np.median(ts):7.2f} ms  p90 {np.percentile(ts, 90):7.2f} ms  "
            f"(session load {load_ms:.0f} ms, file {(MODELS / m['file']).stat().st_size / 1e6:.2f} MB)"
        )


if __name__ == "__main__":
    main()
