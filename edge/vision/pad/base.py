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


@dataclass(frozen=True)
class PadFrame:
    """One frame of a track as PAD methods see it.

    ``image`` is the whole BGR frame (H, W, 3) uint8 the face was found in (methods crop what
    they need; the context around the face matters for a printout's or phone's edges).
    ``ir`` and ``depth`` are the same instant from a second sensor when one is configured:
    ``ir`` (H', W') uint8 near-infrared, ``depth`` (H', W') float32 metres (0 = no reading), each
    registered to ``image`` by the hardware method's own calibration.
    """

    time: float  # seconds (monotonic clock of the capture)
    image: np.ndarray
    detection: Detection
    ir: np.ndarray | None = None
    depth: np.ndarray | None = None


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

    def score(self, track: Sequence[PadFrame]) -> PadScore | None:
        """Judge the track (oldest frame first); ``None`` when it cannot decide yet (too few
        frames, no motion to judge, no face in the IR frame yet...)."""
        ...
