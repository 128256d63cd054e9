"""A folder of images as a frame source: scripted scenarios, replays of recorded sequences."""

from __future__ import annotations

import logging
from pathlib import Path

from edge.capture.base import Frame
from edge.capture.config import FolderSourceConfig
from edge.errors import BadImage, SourceUnavailable
from edge.vision.image_io import read_image

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
MAX_PIXELS = 40_000_000

log = logging.getLogger(__name__)


class FolderSource:
    """Images in name order at a fixed frame rate (media time, so runs are reproducible)."""

    live = False

    def __init__(self, config: FolderSourceConfig) -> None:
        self.config = config
        self.name = str(config.path)
        self._files: list[Path] = []
        self._position = 0
        self._index = 0

    def open(self) -> None:
        try:
            self._files = sorted(
                p for p in self.config.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
            )
        except OSError as exc:
            raise SourceUnavailable(f"cannot read folder {self.name}: {exc.strerror}") from exc
        if not self._files:
            raise SourceUnavailable(f"folder {self.name} holds no images")

    def read(self) -> Frame | None:
        while True:
            if self._position >= len(self._files):
                if not self.config.loop:
                    return None
                self._position = 0
            path = self._files[self._position]
            if not path.exists():  # the folder (a mount, a camera's drop box) went away
                raise SourceUnavailable(f"folder {self.name}: {path.name} disappeared")
            self._position += 1
            try:
                image = read_image(path, max_pixels=MAX_PIXELS)
            except BadImage as exc:  # a corrupt image is skipped, not fatal
                log.warning("skipping %s: %s", path.name, exc)
                continue
            frame = Frame(image, self._index, self._index / self.config.fps)
            self._index += 1
            return frame

    def close(self) -> None:
        self._files = []
        self._position = 0
