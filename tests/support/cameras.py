"""Camera stand-ins that run here: a stalled or stalling MJPEG-over-HTTP stream served on
loopback (read by OpenCV's real FFmpeg backend), and a picamera2 package that fails the way a
broken Raspberry Pi OS install does (the real one cannot run off a Pi)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import cv2
import numpy as np

FAILING_PICAMERA2 = {
    # the failure: python3-picamera2 built against numpy 1.24, numpy 2 in the venv
    "import": 'raise ValueError("numpy.dtype size changed, may indicate binary incompatibility. '
              'Expected 96 from C header, got 88 from PyObject")\n',
    # a driver failing in a way nobody listed
    "driver": "class Picamera2:\n"
              "    def __init__(self, index):\n"
              "        raise KeyError('sensor_modes')\n",
}


def write_picamera2(folder: Path, failure: str) -> Path:
    """A ``picamera2`` package under ``folder`` that fails as ``FAILING_PICAMERA2[failure]``."""
    package = folder / "picamera2"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(FAILING_PICAMERA2[failure])
    return folder


class MjpegServer:
    """HTTP on loopback: accepts and says nothing (``frames=0``), or sends ``frames`` MJPEG
    frames and then stalls with the connection open."""

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/stream.mjpg"
        self._connections: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        jpeg = cv2.imencode(".jpg", np.full((120, 160, 3), 128, np.uint8))[1].tobytes()
        part = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n" % (
            len(jpeg), jpeg)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._connections.append(conn)
            if self.frames:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.0 200 OK\r\n"
                             b"Content-Type: multipart/x-mixed-replace; boundary=frame\r\n\r\n"
                             + part * self.frames)

    def __enter__(self) -> MjpegServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        for conn in self._connections:
            conn.close()
