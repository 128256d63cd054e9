"""The live view: the loop's frames with face boxes, track ids, names and decisions, as JPEGs.

The capture loop pays almost nothing for it: while nobody watches, :attr:`LiveView.watching` is
false and the loop skips it; while someone does, :meth:`LiveView.show` only keeps a reference
to the newest frame. Drawing and JPEG encoding happen on this module's own thread, at most
``max_fps`` times a second, and only while a viewer is connected. Nothing is recorded.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import numpy as np

from edge.access.event import AccessEvent
from edge.capture.base import Frame
from edge.service.runner import SeenFace

MIN_WIDTH = 480  # px: small cameras (QCIF 176x144) are scaled up so that labels stay readable
RECENT_DECISIONS = 20
GREEN, RED, GREY = (60, 180, 60), (40, 40, 220), (160, 160, 160)  # BGR

# Hook for the door zone (another change brings it): draws the zone onto the displayed image,
# given the image and the factor from frame pixels to displayed pixels.
ZoneOverlay = Callable[[np.ndarray, float], None]


@dataclass(frozen=True)
class FaceLabel:
    """What the console says about one face now: the live panel's row and the box's caption."""

    track: int
    name: str  # the person's name, or "unknown" / "not usable"
    score: float | None
    threshold: float | None
    decision: str | None  # the track's latest decision and reason, e.g. "granted: recognized"


class LiveView:
    """A :class:`~edge.service.runner.FrameViewer` and an event sink (for each track's decision)."""

    def __init__(self, names: Callable[[str], str | None], *, max_fps: float, jpeg_quality: int,
                 zone_overlay: ZoneOverlay | None = None) -> None:
        self._names = names
        self._period_s = 1.0 / max_fps
        self._jpeg_quality = jpeg_quality
        self.zone_overlay = zone_overlay
        self._cond = threading.Condition()
        self._viewers = 0
        self._latest: tuple[Frame, list[SeenFace]] | None = None
        self._jpeg: bytes | None = None
        self._labels: list[FaceLabel] = []
        self._seq = 0
        self._track_decisions: dict[int, str] = {}
        self.recent: deque[AccessEvent] = deque(maxlen=RECENT_DECISIONS)
        self._closed = False
        self._thread: threading.Thread | None = None

    # -- the loop's side (must stay cheap) -----------------------------------------------------
    @property
    def watching(self) -> bool:
        return self._viewers > 0

    def show(self, frame: Frame, faces: list[SeenFace]) -> None:
        with self._cond:
            self._latest = (frame, faces)
            self._cond.notify_all()

    def handle(self, event: AccessEvent) -> None:
        with self._cond:
            self.recent.appendleft(event)
            if event.track is not None:
                self._track_decisions[event.track] = f"{event.decision}: {event.reason}"
                if len(self._track_decisions) > 4 * RECENT_DECISIONS:
                    self._track_decisions.pop(next(iter(self._track_decisions)))

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(2.0)

    # -- the console's side ------------------------------------------------------------------
    @contextmanager
    def viewer(self) -> Iterator[None]:
        """Count one viewer for the duration (the encoder runs while any is counted)."""
        with self._cond:
            self._viewers += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._encode_loop, name="live-view", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        try:
            yield
        finally:
            with self._cond:
                self._viewers -= 1

    def next_jpeg(self, after: int, timeout_s: float) -> tuple[int, bytes] | None:
        """The first encoded frame newer than sequence number ``after``, or None on timeout."""
        with self._cond:
            self._cond.wait_for(lambda: self._seq > after or self._closed, timeout_s)
            if self._seq > after and self._jpeg is not None:
                return self._seq, self._jpeg
        return None

    def labels(self) -> list[FaceLabel]:
        """The faces of the last encoded frame."""
        with self._cond:
            return list(self._labels)

    def grab(self, timeout_s: float) -> np.ndarray | None:
        """A copy of the next frame the loop shows (for enrollment from the camera), or None."""
        with self.viewer(), self._cond:
            before = self._latest[0] if self._latest else None
            got = self._cond.wait_for(
                lambda: self._latest is not None and self._latest[0] is not before, timeout_s)
            return self._latest[0].image.copy() if got and self._latest else None

    # -- the encoder thread ------------------------------------------------------------------
    def _encode_loop(self) -> None:
        shown: list[Frame] = []  # the frame encoded last (a list: read by the predicate below)

        def ready() -> bool:
            fresh = self._latest is not None and (not shown or self._latest[0] is not shown[0])
            return self._closed or (self._viewers > 0 and fresh)

        while True:
            with self._cond:
                self._cond.wait_for(ready)
                if self._closed:
                    return
                assert self._latest is not None
                frame, faces = self._latest
                decisions = dict(self._track_decisions)
            started = time.monotonic()
            labels = [self._label(face, decisions.get(face.track)) for face in faces]
            jpeg = self._render(frame.image, faces, labels)
            shown[:] = [frame]
            with self._cond:
                self._jpeg, self._labels = jpeg, labels
                self._seq += 1
                self._cond.notify_all()
            time.sleep(max(0.0, self._period_s - (time.monotonic() - started)))

    def _label(self, face: SeenFace, decision: str | None) -> FaceLabel:
        verdict = face.verdict
        if not face.usable:
            name = "not usable"
        elif verdict is not None and verdict.person_id is not None:
            name = self._names(verdict.person_id) or verdict.person_id
        else:
            name = "unknown"
        match = verdict.match if verdict else None
        return FaceLabel(face.track, name, match.score if match else None,
                         match.threshold if match else None, decision)

    def _render(self, image: np.ndarray, faces: list[SeenFace], labels: list[FaceLabel]) -> bytes:
        scale = max(1.0, MIN_WIDTH / image.shape[1])
        shown = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR) \
            if scale > 1.0 else image.copy()
        if self.zone_overlay is not None:
            self.zone_overlay(shown, scale)
        for face, label in zip(faces, labels):
            box = face.box
            x, y = int(box.x * scale), int(box.y * scale)
            w, h = int(box.w * scale), int(box.h * scale)
            named = label.name not in ("unknown", "not usable")
            color = GREEN if named else GREY if not face.usable else RED
            cv2.rectangle(shown, (x, y), (x + w, y + h), color, 2)
            lines = [f"#{label.track} {label.name}"] + ([label.decision] if label.decision else [])
            for row, text in enumerate(lines):
                origin = (x, max(14, y - 6 - 16 * (len(lines) - 1 - row)))
                cv2.putText(shown, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
                cv2.putText(shown, text, origin, cv2.FONT_HERSHEY_SIMPLEX, 0.5, color, 1, cv2.LINE_AA)
        ok, data = cv2.imencode(".jpg", shown, [cv2.IMWRITE_JPEG_QUALITY, self._jpeg_quality])
        return data.tobytes() if ok else b""
