"""Give each face a track id across frames, by box overlap (faces at a door move little per frame)."""

from __future__ import annotations

from dataclasses import dataclass, field

from edge.vision.types import Box


@dataclass
class Track:
    id: int
    box: Box
    first_seen: float
    last_seen: float
    hits: int = 1
    decided: set[str] = field(default_factory=set)  # outcomes already announced for this track


class Tracker:
    """Greedy IoU association; a track not seen for ``max_gap_s`` ends."""

    def __init__(self, *, min_iou: float = 0.3, max_gap_s: float = 1.0) -> None:
        self.min_iou = min_iou
        self.max_gap_s = max_gap_s
        self.tracks: dict[int, Track] = {}
        self._next_id = 1

    def update(self, boxes: list[Box], now: float) -> list[Track]:
        """The track of each box, in the order of ``boxes`` (new tracks for unmatched boxes)."""
        self.tracks = {
            tid: t for tid, t in self.tracks.items() if now - t.last_seen <= self.max_gap_s
        }
        pairs = sorted(
            ((box.iou(track.box), i, tid) for i, box in enumerate(boxes)
             for tid, track in self.tracks.items()),
            reverse=True,
        )
        assigned: dict[int, Track] = {}
        used: set[int] = set()
        for iou, i, tid in pairs:
            if iou < self.min_iou:
                break
            if i in assigned or tid in used:
                continue
            track = self.tracks[tid]
            track.box, track.last_seen = boxes[i], now
            track.hits += 1
            assigned[i] = track
            used.add(tid)
        for i, box in enumerate(boxes):
            if i not in assigned:
                track = Track(self._next_id, box, now, now)
                self._next_id += 1
                self.tracks[track.id] = track
                assigned[i] = track
        return [assigned[i] for i in range(len(boxes))]
