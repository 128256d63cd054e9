"""``edge emulate youtu`` as a user runs it: a real process serving real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from edge.identify.youtu.client import YoutuClient
from tests.youtu.conftest import APPID, SECRET_ID, SECRET_KEY, photo, youtu_config


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_emulate_youtu_serves_and_keeps_state_in_its_data_dir(tmp_path: Path) -> None:
    """... and answers --latency-ms late, like a distant cloud."""
    port = free_port()
    command = [sys.executable, "-m", "edge", "emulate", "youtu", "--port", str(port), "--appid", APPID,
               "--secret-id", SECRET_ID, "--data", str(tmp_path), "--latency-ms", "300"]  # fmt: skip
    env = {**os.environ, "EDGE_YOUTU_SECRET_KEY": SECRET_KEY}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.post(f"{url}/face/getgroupids", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "emulator did not start"
                time.sleep(0.1)
        with YoutuClient(youtu_config(url)) as client:
            client.newperson("cli-person", ["cli"], photo("Joe_Biden/1"))
            started = time.monotonic()
            assert client.getpersonids("cli") == ["cli-person"]
            assert time.monotonic() - started >= 0.3
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert (tmp_path / "youtu.sqlite").exists()
    assert SECRET_KEY not in output
