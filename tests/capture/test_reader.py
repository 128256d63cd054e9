"""The frame reader and sources when the camera misbehaves: stalls, vanishes, fails to import,
fails in its driver. Every outcome is bounded in time and told to the loop."""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from pathlib import Path

import pytest

from edge.capture.config import FolderSourceConfig, OpenCVSourceConfig, Picamera2SourceConfig
from edge.capture.folder import FolderSource
from edge.capture.opencv import OpenCVSource
from edge.capture.picamera2 import Picamera2Source
from edge.capture.reader import FrameReader
from edge.errors import CameraFailed, SourceUnavailable, UserError
from tests.support.cameras import MjpegServer, write_picamera2


def test_a_silent_stream_fails_to_open_after_the_open_timeout(silent_stream: MjpegServer) -> None:
    source = OpenCVSource(OpenCVSourceConfig(uri=silent_stream.url, open_timeout_s=1))
    started = time.monotonic()
    with pytest.raises(SourceUnavailable):
        source.open()
    assert time.monotonic() - started < 4  # OpenCV's own timeout is 30 s


def test_a_stream_that_stalls_is_lost_after_the_read_timeout(stalling_stream: MjpegServer) -> None:
    source = OpenCVSource(OpenCVSourceConfig(uri=stalling_stream.url, open_timeout_s=5,
                                             read_timeout_s=1))
    source.open()
    frames, last = 0, time.monotonic()
    try:
        with pytest.raises(SourceUnavailable):
            while source.read() is not None:
                frames, last = frames + 1, time.monotonic()
    finally:
        source.close()
    assert frames > 0 and time.monotonic() - last < 4


def test_reopen_backoff_grows_and_the_deadline_ends_it(tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    reader = FrameReader(FolderSource(FolderSourceConfig(path=tmp_path / "unplugged")),
                         reopen_initial_s=0.05, reopen_max_s=0.2, reopen_deadline_s=1.0)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING), pytest.raises(CameraFailed, match="no camera for 1 s"):
        reader.next()
    assert 1.0 <= time.monotonic() - started < 2.5
    waits = [float(w) for w in re.findall(r"retrying in ([\d.]+) s", caplog.text)]
    assert waits[:4] == [0.05, 0.1, 0.2, 0.2], waits


def test_stop_ends_a_reopen_backoff_at_once(tmp_path: Path) -> None:
    stop = threading.Event()
    reader = FrameReader(FolderSource(FolderSourceConfig(path=tmp_path / "unplugged")),
                         reopen_initial_s=30, reopen_max_s=60, stop=stop)
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    assert reader.next() is None
    assert time.monotonic() - started < 1.5


def live_picamera2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str) -> FrameReader:
    monkeypatch.syspath_prepend(str(write_picamera2(tmp_path / "site", failure)))
    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    return FrameReader(Picamera2Source(Picamera2SourceConfig()), reopen_initial_s=0.05,
                       reopen_max_s=0.1).start()


def test_a_picamera2_that_cannot_be_imported_reaches_the_loop(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    reader = live_picamera2(tmp_path, monkeypatch, "import")
    try:
        with pytest.raises(UserError, match="numpy.dtype size changed.*deploy/install.sh"):
            reader.next(timeout=5)
    finally:
        reader.stop()


def test_an_unexpected_driver_error_reaches_the_loop(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    reader = live_picamera2(tmp_path, monkeypatch, "driver")
    try:
        with pytest.raises(CameraFailed, match="KeyError"):
            reader.next(timeout=5)
    finally:
        reader.stop()
