"""The PAD stage: keeps the newest frames of each track and fuses its methods' scores.

Each method scores the track (see :mod:`edge.vision.pad.base`); each that decides gives a margin
``attack - threshold`` (>= 0 is an attack by that method alone). The fusion rule combines the
margins into the track's score, and the track is an attack when the score reaches the site's
operating point (``offset``, 0 unless ``edge pad calibrate`` set another). A track no method can
judge yet is ``undecided``. An attack verdict is final for the track, and so is a bona fide one
once the track has ``max_frames`` frames; an undecided track keeps being judged on its newest
``max_frames`` frames.

Only the newest frames of a track keep their pixels (the most any method's ``window`` asks for,
less the one to come): each older frame is digested by every method and released, so a track
holds 2-3 whole camera frames instead of ``max_frames`` (2.8 MB each at 1280x720).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from edge.vision.pad.base import PadFrame, PadMethod, PadScore
from edge.vision.pad.config import PadSettings

Outcome = Literal["bona_fide", "attack", "undecided"]


@dataclass(frozen=True)
class PadVerdict:
    outcome: Outcome
    score: float | None  # fused margin over the methods' thresholds; None when undecided
    frames: int  # frames of the track judged
    scores: tuple[PadScore, ...] = ()
    final: bool = False  # the track's verdict for good: no later frame changes it

    @property
    def is_attack(self) -> bool:
        return self.outcome == "attack"


def fuse(scores: Sequence[PadScore], rule: str) -> float:
    """One margin from the methods' margins (``attack - threshold``) by the fusion rule."""
    margins = [s.attack - s.threshold for s in scores]
    if rule == "any":
        return max(margins)
    if rule == "all":
        return min(margins)
    return float(np.mean(margins))


class PadStage:
    def __init__(self, settings: PadSettings, methods: Sequence[PadMethod], offset: float = 0.0) -> None:
        self.settings = settings
        self.methods = list(methods)
        self.offset = offset
        self._frames: dict[int, deque[PadFrame]] = {}
        self._final: dict[int, PadVerdict] = {}
        # the newest frames a method still reads the pixels of at the next judgement
        self._held = max((m.window for m in self.methods), default=1) - 1

    @classmethod
    def from_settings(cls, settings: PadSettings, offset: float = 0.0) -> PadStage:
        return cls(settings, [m.build() for m in settings.methods], offset)

    def observe(self, track_id: int, frame: PadFrame) -> PadVerdict:
        """Add the track's newest frame and judge the track."""
        if track_id in self._final:
            return self._final[track_id]
        frames = self._frames.setdefault(track_id, deque(maxlen=self.settings.max_frames))
        frames.append(frame)
        verdict = self.judge(list(frames))
        if verdict.is_attack or (verdict.outcome == "bona_fide" and len(frames) >= self.settings.max_frames):
            verdict = replace(verdict, final=True)
            self._final[track_id] = verdict
            del self._frames[track_id]
        else:
            self._release(list(frames)[: max(0, len(frames) - self._held)])
        return verdict

    def _release(self, frames: Sequence[PadFrame]) -> None:
        """Release the pixels of ``frames`` once each method digested them."""
        for frame in frames:
            if not frame.released:
                for method in self.methods:
                    method.digest(frame)
                frame.release()

    def judge(self, track: Sequence[PadFrame]) -> PadVerdict:
        """The verdict on a whole track (oldest frame first), without keeping anything."""
        if len(track) < self.settings.min_frames:
            return PadVerdict("undecided", None, len(track))
        scores = tuple(s for s in (m.score(track) for m in self.methods) if s is not None)
        if not scores:
            return PadVerdict("undecided", None, len(track))
        fused = fuse(scores, self.settings.fusion)
        return PadVerdict("attack" if fused >= self.offset else "bona_fide", fused, len(track), scores)

    def forget(self, live_ids: set[int]) -> None:
        """Drop the frames and verdicts of tracks that ended."""
        for store in (self._frames, self._final):
            for tid in [t for t in store if t not in live_ids]:
                del store[tid]
