"""Per-frame work remembered across a track's judgements.

The stage judges a track again at each new frame, handing the methods the same frame objects;
a method that derives something per frame (or per pair of frames) computes it once. An entry
lives exactly as long as its frames: it refers to them weakly (the frames a track no longer holds
are not kept alive by the memos) and is never evicted while they live, because the stage releases
the pixels of a track's older frames (:meth:`PadFrame.release`) once the methods digested them,
and a result dropped early could not be computed again.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from edge.vision.pad.base import PadFrame

T = TypeVar("T")


class FrameMemo(Generic[T]):
    def __init__(self) -> None:
        # one level per frame of the key: {first: {second: value}} for a pair
        self._entries: weakref.WeakKeyDictionary[PadFrame, Any] = weakref.WeakKeyDictionary()

    def get(self, frames: tuple[PadFrame, ...], compute: Callable[[], T]) -> T:
        """``compute()``, remembered for these frame objects while they all live."""
        level = self._entries
        for frame in frames[:-1]:
            level = level.setdefault(frame, weakref.WeakKeyDictionary())
        if frames[-1] in level:
            return level[frames[-1]]
        value = level[frames[-1]] = compute()
        return value
