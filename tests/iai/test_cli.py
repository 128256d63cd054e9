"""``edge emulate iai`` as a user runs it: a real process, its state kept in --data across restarts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from tests.iai.conftest import SECRET_ID, SECRET_KEY, call, sdk_client
from tests.support.mosquitto import free_port


@contextmanager
def emulator(data: Path, port: int) -> Iterator[str]:
    command = [sys.executable, "-m", "edge", "emulate", "iai", "--port", str(port), "--data", str(data),
               "--secret-id", SECRET_ID]
    env = {**os.environ, "EDGE_IAI_SECRET_KEY": SECRET_KEY}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                call(sdk_client(url), "GetGroupList")
                break
            except TencentCloudSDKException:
                assert process.poll() is None, process.communicate()[0].decode()
                assert time.monotonic() < deadline, "the emulator did not answer in 30 s"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0].decode()
        assert SECRET_KEY not in output


def test_the_command_serves_the_sdk_and_keeps_its_state(tmp_path: Path) -> None:
    port = free_port()
    with emulator(tmp_path, port) as url:
        call(sdk_client(url), "CreateGroup", GroupId="door", GroupName="Door")
    assert (tmp_path / "iai.sqlite").exists()
    with emulator(tmp_path, port) as url:
        assert [g.GroupId for g in call(sdk_client(url), "GetGroupList").GroupInfos] == ["door"]
