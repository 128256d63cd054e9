"""The second sensors PAD reads beside the colour camera: a near-infrared and a depth camera.

Each is an ordinary frame source plug-in (``camera.ir.source``, ``camera.depth.source``). A live one
is read by a :class:`FrameReader` in the background and its newest frame is used while younger
than ``camera.sensor_max_age_s``; a finite one (a folder, a file) gives one frame per colour
frame, in step. A sensor that cannot be opened at start is a :class:`UserError`; one that stops
later gives ``None``, which the hardware PAD methods judge as an attack (the door fails closed).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import cv2
import numpy as np

from edge.capture import source_for
from edge.capture.base import FrameSource
from edge.capture.config import CameraSettings, DepthSourceConfig, SourceConfig
from edge.capture.reader import FrameReader
from edge.errors import EdgeError, SourceUnavailable, UserError

log = logging.getLogger(__name__)


class SensorFeed:
    def __init__(self, key: str, config: SourceConfig, camera: CameraSettings) -> None:
        self.key = key
        self.max_age_s = camera.sensor_max_age_s
        self.source: FrameSource = source_for(config)
        try:
            self.source.open()
        except SourceUnavailable as exc:
            raise UserError(f"{key}: {exc} (a PAD method needs this camera)") from exc
        self.reader = (FrameReader(self.source, reopen_initial_s=camera.reopen_initial_s,
                                   reopen_max_s=camera.reopen_max_s).start()
                       if self.source.live else None)
        self._latest: tuple[float, np.ndarray] | None = None
        self._failed = False

    def grey(self) -> np.ndarray | None:
        """The sensor's current frame as (H, W) uint8, or None if it has none fresh enough."""
        if self.reader is None:
            return self._in_step()
        if self._failed:
            return None
        try:
            frame = self.reader.next(timeout=0.0)
        except EdgeError as exc:  # gone for good (the reader's deadline, a driver error)
            log.warning("%s failed: %s; PAD fails closed", self.key, exc)
            self._failed = True
            return None
        if frame is not None:
            self._latest = (time.monotonic(), _grey(frame.image))
        if self._latest is None or time.monotonic() - self._latest[0] > self.max_age_s:
            return None
        return self._latest[1]

    def _in_step(self) -> np.ndarray | None:
        if self._failed:
            return None
        try:
            frame = self.source.read()
        except SourceUnavailable as exc:
            log.warning("%s lost: %s; PAD fails closed", self.key, exc)
            self._failed = True
            return None
        return None if frame is None else _grey(frame.image)

    def close(self) -> None:
        if self.reader is not None:
            self.reader.stop()
        else:
            self.source.close()


def _grey(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def depth_metres(grey: np.ndarray, config: DepthSourceConfig) -> np.ndarray:
    """(H, W) float32 metres of an 8-bit depth frame; 0 stays 0 (no reading)."""
    depth = config.near_m + grey.astype(np.float32) * config.unit_m
    depth[grey == 0] = 0
    return depth


@dataclass
class Sensors:
    """The configured second sensors; ``read()`` once per colour frame."""

    ir: SensorFeed | None
    depth: SensorFeed | None
    depth_config: DepthSourceConfig | None

    @classmethod
    def open(cls, camera: CameraSettings) -> Sensors:
        ir = SensorFeed("camera.ir", camera.ir.source, camera) if camera.ir.enabled else None
        try:
            depth = SensorFeed("camera.depth", camera.depth.source, camera) if camera.depth.enabled else None
        except UserError:
            if ir:
                ir.close()
            raise
        return cls(ir, depth, camera.depth)

    def read(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(IR (H, W) uint8, depth (H, W) float32 metres) of now; None where none is fresh."""
        ir = self.ir.grey() if self.ir else None
        grey = self.depth.grey() if self.depth else None
        depth = depth_metres(grey, self.depth_config) if grey is not None and self.depth_config else None
        return ir, depth

    def close(self) -> None:
        for feed in (self.ir, self.depth):
            if feed is not None:
                feed.close()
