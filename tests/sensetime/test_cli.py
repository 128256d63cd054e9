"""``edge emulate sensetime`` as a user runs it: a real process on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from edge.errors import BackendUnavailable
from edge.identify.sensetime.client import SenseTimeClient
from tests.sensetime.conftest import API_ID, API_SECRET, photo
from tests.support.mosquitto import free_port


def test_edge_emulate_sensetime_serves_the_api(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "EDGE_CONFIG"}
    env["EDGE_SENSETIME_API_SECRET"] = API_SECRET  # from the environment: not in the process list
    command = [sys.executable, "-m", "edge", "emulate", "sensetime", "--port", str(port), "--data",
               str(tmp_path / "state"), "--api-id", API_ID, "--rate-limit", "20q/2s", "--quota", "persons=5"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        with SenseTimeClient(API_ID, API_SECRET, base_url=url, timeout_s=1.0) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    info = client.info_api()
                    break
                except BackendUnavailable:
                    assert process.poll() is None and time.monotonic() < deadline, "emulator did not start"
                    time.sleep(0.2)
            assert (info.rate_limit, info.quota["persons"]) == ("20q/2s", 5)
            assert len(client.detect(photo("Joe_Biden/1"), timeout_s=10).faces) == 1
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0].decode()
    assert f"on http://127.0.0.1:{port}" in output
    assert API_SECRET not in output
    assert (tmp_path / "state" / "sensetime.sqlite").exists()


def test_a_bad_rate_limit_is_a_clear_error(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "edge", "emulate", "sensetime", "--data", str(tmp_path),
               "--api-id", API_ID, "--api-secret", API_SECRET, "--rate-limit", "fast"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "error: rate limit 'fast': expected like 50q/10s" in done.stderr
    assert "Traceback" not in done.stderr
