"""Keep the loop on the newest frame, and a lost camera reopened with backoff.

A live source is read by a background thread that keeps only the newest frame: when the loop is
slower than the camera, stale frames are dropped (and counted), never queued. A source that
fails is reopened with exponential backoff; the failure is reported, never raised to the loop.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from edge.capture.base import Frame, FrameSource
from edge.errors import SourceUnavailable

log = logging.getLogger(__name__)


@dataclass
class ReaderStats:
    frames: int = 0
    dropped: int = 0
    reopened: int = 0
    connected: bool = False
    last_error: str | None = None


class FrameReader:
    def __init__(self, source: FrameSource, *, reopen_initial_s: float, reopen_max_s: float) -> None:
        self.source = source
        self.reopen_initial_s = reopen_initial_s
        self.reopen_max_s = reopen_max_s
        self.stats = ReaderStats()
        self._latest: Frame | None = None
        self._ended = False
        self._opened_once = False
        self._stop = threading.Event()
        self._fresh = threading.Condition()
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FrameReader:
        if self.source.live:
            self._thread = threading.Thread(target=self._run, name="capture", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._fresh:
            self._fresh.notify_all()
        if self._thread is not None:
            self._thread.join(5)
        self.source.close()

    @property
    def ended(self) -> bool:
        return self._ended

    # -- reading -----------------------------------------------------------------------------
    def next(self, timeout: float = 1.0) -> Frame | None:
        """The newest frame not yet returned; None on timeout or at the end of the source."""
        if not self.source.live:
            return self._read_blocking()
        with self._fresh:
            if self._latest is None and not self._ended:
                self._fresh.wait(timeout)
            frame, self._latest = self._latest, None
            return frame

    def _read_blocking(self) -> Frame | None:
        while not self._stop.is_set():
            if not self.stats.connected and not self._reopen():
                continue
            try:
                frame = self.source.read()
            except SourceUnavailable as exc:
                self._lost(exc)
                continue
            if frame is None:
                self._ended = True
                return None
            self.stats.frames += 1
            return frame
        return None

    def _run(self) -> None:
        while not self._stop.is_set():
            frame = self._read_blocking()
            with self._fresh:
                if frame is None:
                    self._fresh.notify_all()
                    return
                if self._latest is not None:
                    self.stats.dropped += 1
                self._latest = frame
                self._fresh.notify_all()

    # -- failures ----------------------------------------------------------------------------
    def _lost(self, exc: SourceUnavailable) -> None:
        log.warning("camera lost: %s", exc)
        self.stats.connected = False
        self.stats.last_error = str(exc)
        self.source.close()

    def _reopen(self) -> bool:
        delay = self.reopen_initial_s
        attempt = 0
        while not self._stop.is_set():
            try:
                self.source.open()
            except SourceUnavailable as exc:
                attempt += 1
                self.stats.last_error = str(exc)
                log.warning("cannot open %s (attempt %d): %s; retrying in %.1f s",
                            self.source.name, attempt, exc, delay)
                self._stop.wait(delay)
                delay = min(delay * 2, self.reopen_max_s)
                continue
            if self._opened_once:
                self.stats.reopened += 1
                log.info("camera %s reopened", self.source.name)
            self._opened_once = True
            self.stats.connected = True
            self.stats.last_error = None
            return True
        return False
