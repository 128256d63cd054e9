"""Capture: frame sources (picamera2, OpenCV, a folder of images) behind one interface."""

from __future__ import annotations

from edge.capture.base import Frame, FrameSource
from edge.capture.config import (
    CameraSettings,
    FolderSourceConfig,
    OpenCVSourceConfig,
    Picamera2SourceConfig,
    SourceConfig,
)


def open_source(camera: CameraSettings) -> FrameSource:
    """The frame source plug-in selected by ``camera.source.type`` (not yet opened)."""
    return source_for(camera.source)


def source_for(config: SourceConfig) -> FrameSource:
    """The frame source plug-in of one source's settings (not yet opened)."""
    if isinstance(config, Picamera2SourceConfig):
        from edge.capture.picamera2 import Picamera2Source

        return Picamera2Source(config)
    if isinstance(config, FolderSourceConfig):
        from edge.capture.folder import FolderSource

        return FolderSource(config)
    assert isinstance(config, OpenCVSourceConfig)
    from edge.capture.opencv import OpenCVSource

    return OpenCVSource(config)


__all__ = ["Frame", "FrameSource", "open_source", "source_for"]
