"""Capture: frame sources (picamera2, OpenCV, a folder of images) behind one interface."""

from __future__ import annotations

from edge.capture.base import Frame, FrameSource
from edge.capture.config import (
    CameraSettings,
    FolderSourceConfig,
    OpenCVSourceConfig,
    Picamera2SourceConfig,
)


def open_source(camera: CameraSettings) -> FrameSource:
    """The frame source plug-in selected by ``camera.source.type`` (not yet opened)."""
    config = camera.source
    if isinstance(config, Picamera2SourceConfig):
        from edge.capture.picamera2 import Picamera2Source

        return Picamera2Source(config)
    if isinstance(config, FolderSourceConfig):
        from edge.capture.folder import FolderSource

        return FolderSource(config)
    assert isinstance(config, OpenCVSourceConfig)
    from edge.capture.opencv import OpenCVSource

    return OpenCVSource(config)


__all__ = ["Frame", "FrameSource", "open_source"]
