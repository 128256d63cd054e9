"""The frame source protocol and the frame it delivers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # BGR uint8, HxWx3
    index: int  # counts frames read from the source since it was first opened
    time: float  # seconds: monotonic clock for live sources, media time for files read as fast as asked


class FrameSource(Protocol):
    """A camera, stream, file or folder.

    ``live`` sources produce frames whether or not anyone reads them (cameras, streams, files
    paced in real time): the reader keeps only the newest. Others are read one by one, as fast as
    the loop asks, which makes runs on recorded footage reproducible.
    """

    name: str
    live: bool

    def open(self) -> None:
        """Open the device; raise :class:`edge.errors.SourceUnavailable` if it cannot be opened."""
        ...

    def read(self) -> Frame | None:
        """The next frame; ``None`` at the end of a finite source; raise SourceUnavailable if lost."""
        ...

    def close(self) -> None: ...
