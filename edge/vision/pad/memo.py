"""Per-frame work remembered across a track's judgements.

The stage judges a track again at each new frame, handing the methods the same frame objects;
a method that derives something per frame (or per pair of frames) computes it once. Entries are
keyed by the frames' ids and checked by identity, so a recycled id never returns a stale value.
An entry refers to its frames weakly: the frames a track no longer holds (each with its whole
camera image: 6 MB at 1920x1080) are not kept alive by up to ``size`` entries of every memo.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from edge.vision.pad.base import PadFrame

T = TypeVar("T")
Refs = tuple["weakref.ref[PadFrame]", ...]


class FrameMemo(Generic[T]):
    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, ...], tuple[Refs, T]] = OrderedDict()

    def get(self, frames: tuple[PadFrame, ...], compute: Callable[[], T]) -> T:
        """``compute()``, remembered for these frame objects (the newest ``size`` entries)."""
        key = tuple(id(f) for f in frames)
        hit = self._entries.get(key)
        if hit is not None and all(ref() is frame for ref, frame in zip(hit[0], frames)):
            self._entries.move_to_end(key)
            return hit[1]
        value = compute()
        self._entries[key] = (tuple(weakref.ref(frame) for frame in frames), value)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value
