"""The contract every presentation-attack detection method implements.

Vocabulary (ISO/IEC 30107-3): a *bona fide* presentation is a live person; an *attack*
presentation is a printed photo, a screen replay, a mask. APCER is the share of attacks wrongly
accepted, BPCER the share of bona fide presentations wrongly rejected.

A method scores a *track*: the frames of one face followed over time (oldest first). It may need
several frames (temporal cues) and answers ``None`` while it cannot decide yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from edge.vision.types import Detection


class PixelsReleased(RuntimeError):
    """A frame's pixels were read after the stage released them (a method's ``digest`` missed
    something its ``score`` reads)."""


class PadFrame:
    """One frame of a track as PAD methods see it.

    ``image`` is the whole BGR frame (H, W, 3) uint8 the face was found in (methods crop what
    they need; the context around the face matters for a printout's or phone's edges).
    ``ir`` and ``depth`` are the same instant from a second sensor when one is configured:
    ``ir`` (H', W') uint8 near-infrared, ``depth`` (H', W') float32 metres (0 = no reading), each
    registered to ``image`` by the hardware method's own calibration.

    The stage ``release``s the pixels (all three) of a track's older frames once every method has
    digested them (2.8 MB a frame at 1280x720); reading them after raises :class:`PixelsReleased`.
    Frames compare by identity: the methods remember per-frame work by the frame object.
    """

    __slots__ = ("time", "detection", "_pixels", "__weakref__")

    def __init__(self, time: float, image: np.ndarray, detection: Detection, ir: np.ndarray | None = None,
                 depth: np.ndarray | None = None) -> None:
        self.time = time  # seconds (monotonic clock of the capture)
        self.detection = detection
        self._pixels: tuple[np.ndarray, np.ndarray | None, np.ndarray | None] | None = (image, ir, depth)

    def _held(self) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        if self._pixels is None:
            raise PixelsReleased(f"the pixels of the frame at {self.time:.3f} s were released")
        return self._pixels

    @property
    def image(self) -> np.ndarray:
        return self._held()[0]

    @property
    def ir(self) -> np.ndarray | None:
        return self._held()[1]

    @property
    def depth(self) -> np.ndarray | None:
        return self._held()[2]

    @property
    def released(self) -> bool:
        return self._pixels is None

    def copy(self) -> PadFrame:
        """A new frame object with the same pixels (nothing remembered for it, not released)."""
        image, ir, depth = self._held()
        return PadFrame(self.time, image, self.detection, ir, depth)

    def release(self) -> None:
        """Drop this frame's references to its pixels (the arrays live on while others hold them)."""
        self._pixels = None


@dataclass(frozen=True)
class PadScore:
    """A method's judgement of a track.

    ``attack`` is 0..1, higher = more likely an attack presentation; the method's own operating
    point is ``threshold`` (attack when ``attack >= threshold``). ``details`` carries the evidence
    (named sub-scores) for the access event.
    """

    method: str
    attack: float
    threshold: float
    frames_used: int
    details: dict[str, float] = field(default_factory=dict)

    @property
    def is_attack(self) -> bool:
        return self.attack >= self.threshold


class PadMethod(Protocol):
    """One PAD method. Implementations keep no per-track state: the stage hands them the track."""

    name: str
    window: int  # the newest frames of a track (the new one included) whose pixels score() reads

    def digest(self, frame: PadFrame) -> object:
        """Derive now, and remember while ``frame`` lives, all that later judgements read of its
        pixels while it is not among the newest ``window`` frames (the stage then releases them);
        returns what it derived."""
        ...

    def score(self, track: Sequence[PadFrame]) -> PadScore | None:
        """Judge the track (oldest frame first); ``None`` when it cannot decide yet (too few
        frames, no motion to judge, no face in the IR frame yet...). Reads the pixels of the
        newest ``window`` frames only; of the others, what ``digest`` kept."""
        ...
