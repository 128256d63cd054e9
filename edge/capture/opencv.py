"""OpenCV frame source: USB/V4L2 devices, RTSP/HTTP streams, video files, GStreamer pipelines."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2

from edge.capture.base import Frame
from edge.capture.config import OpenCVSourceConfig
from edge.errors import SourceUnavailable

DEMO_CLIP = Path(__file__).resolve().parents[1] / "demo" / "carphone.mp4"


@contextmanager
def _opencv_errors_only() -> Iterator[None]:
    """OpenCV's own ``[ WARN ]`` lines held back (a device that is missing prints two on stderr,
    outside the log): a source that fails to open raises :class:`SourceUnavailable` instead."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)


def _open_capture(uri: str, open_timeout_s: float, read_timeout_s: float) -> cv2.VideoCapture:
    """The capture for ``uri`` with open and read timeouts instead of OpenCV's fixed 30 s.

    FFmpeg (streams, files) takes both at open; V4L2 and GStreamer get the read timeout set
    after opening where their OpenCV build honours it (an open parameter a backend does not know
    would make the open fail); the loop's heartbeat covers a driver that ignores it.
    """
    open_ms, read_ms = int(open_timeout_s * 1000), int(read_timeout_s * 1000)
    with _opencv_errors_only():
        if uri.isdigit() or uri.startswith("/dev/video") or "!" in uri:
            # "!": a GStreamer pipeline (Jetson CSI cameras: nvarguscamerasrc ! ... ! appsink)
            api = cv2.CAP_GSTREAMER if "!" in uri else cv2.CAP_V4L2
            capture = cv2.VideoCapture(int(uri) if uri.isdigit() else uri, api)
            capture.set(cv2.CAP_PROP_READ_TIMEOUT_MSEC, read_ms)
            return capture
        return cv2.VideoCapture(uri, cv2.CAP_FFMPEG, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, open_ms,
                                                     cv2.CAP_PROP_READ_TIMEOUT_MSEC, read_ms])


class OpenCVSource:
    def __init__(self, config: OpenCVSourceConfig) -> None:
        self.config = config
        self.uri = config.uri or str(DEMO_CLIP)
        self.is_file = Path(self.uri).is_file()
        self.live = not self.is_file or config.realtime
        self.name = "demo clip" if not config.uri else self.uri.split("@")[-1]  # no credentials
        self._capture: cv2.VideoCapture | None = None
        self._index = 0
        self._fps = 25.0
        self._started = 0.0

    def open(self) -> None:
        capture = _open_capture(self.uri, self.config.open_timeout_s, self.config.read_timeout_s)
        if not capture.isOpened():
            capture.release()
            raise SourceUnavailable(f"cannot open video source {self.name}")
        if self.config.width:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.config.width)
        if self.config.height:
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.config.height)
        fps = capture.get(cv2.CAP_PROP_FPS)
        self._fps = fps if 1 <= fps <= 240 else 25.0
        self._capture = capture
        self._started = time.monotonic()
        if self.is_file:
            self._index = 0

    def read(self) -> Frame | None:
        if self._capture is None:
            raise SourceUnavailable(f"video source {self.name} is not open")
        ok, image = self._capture.read()
        if not ok or image is None:
            if self.is_file:
                if not self.config.loop:
                    return None
                self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, image = self._capture.read()
            if not ok or image is None:
                raise SourceUnavailable(f"video source {self.name} stopped delivering frames")
        media_time = self._index / self._fps
        if self.is_file and self.config.realtime:
            delay = self._started + media_time - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        frame = Frame(image, self._index, time.monotonic() if self.live else media_time)
        self._index += 1
        return frame

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None
