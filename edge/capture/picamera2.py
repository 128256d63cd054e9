"""Raspberry Pi camera through picamera2 (Debian's python3-picamera2), imported only when used."""

from __future__ import annotations

import time
from typing import Any

from edge.capture.base import Frame
from edge.capture.config import Picamera2SourceConfig
from edge.errors import SourceUnavailable, UserError


class Picamera2Source:
    live = True

    def __init__(self, config: Picamera2SourceConfig) -> None:
        self.config = config
        self.name = f"picamera2:{config.camera_index}"
        self._camera: Any = None
        self._index = 0

    def open(self) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError as exc:
            raise UserError(
                "camera.source.type = 'picamera2' needs picamera2: on Raspberry Pi OS install "
                "python3-picamera2 with apt and create the virtual environment with "
                "--system-site-packages (deploy/install.sh does both)"
            ) from exc
        except ValueError as exc:  # "numpy.dtype size changed": built against another numpy
            raise UserError(
                f"picamera2 cannot be imported ({exc}): the virtual environment holds a numpy "
                "other than the one Raspberry Pi OS built python3-picamera2 against; reinstall "
                "with deploy/install.sh --platform pi, which keeps the OS's numpy"
            ) from exc
        try:
            camera = Picamera2(self.config.camera_index)
            camera.configure(
                camera.create_video_configuration(
                    main={"size": (self.config.width, self.config.height), "format": "RGB888"}
                )
            )
            camera.start()
        except (RuntimeError, IndexError, OSError) as exc:
            raise SourceUnavailable(f"cannot open {self.name}: {exc}") from exc
        self._camera = camera

    def read(self) -> Frame | None:
        if self._camera is None:
            raise SourceUnavailable(f"{self.name} is not open")
        try:
            array = self._camera.capture_array("main")
        except (RuntimeError, OSError) as exc:
            raise SourceUnavailable(f"{self.name} stopped delivering frames: {exc}") from exc
        # picamera2's "RGB888" is BGR in memory order; other formats are converted by the reader
        frame = Frame(array, self._index, time.monotonic())
        self._index += 1
        return frame

    def close(self) -> None:
        if self._camera is not None:
            try:
                self._camera.stop()
                self._camera.close()
            finally:
                self._camera = None
