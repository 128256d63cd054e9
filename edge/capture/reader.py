"""Keep the loop on the newest frame, and a lost camera reopened with backoff.

A live source is read by a background thread that keeps only the newest frame: when the loop is
slower than the camera, stale frames are dropped (and counted), never queued. A source that
reports itself lost (:class:`SourceUnavailable`) is reopened with exponential backoff (tenacity)
until ``reopen_deadline_s``; past it, or on any other failure (a driver error, a camera library
that cannot be imported), :meth:`FrameReader.next` raises to the loop, so ``edge run`` exits
with the reason and systemd restarts the service instead of a door running blind.

Every wait is on the ``stop`` event the service's signal handler sets: SIGTERM ends a reopen
backoff at once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_delay,
    stop_never,
    stop_when_event_set,
    wait_exponential,
)

from edge.capture.base import Frame, FrameSource
from edge.capture.formats import as_bgr8
from edge.errors import CameraFailed, EdgeError, SourceUnavailable

log = logging.getLogger(__name__)

STOP_JOIN_S = 2.0  # a capture thread stuck in a driver call is abandoned (daemon) after this


@dataclass
class ReaderStats:
    frames: int = 0
    dropped: int = 0
    reopened: int = 0
    connected: bool = False
    last_error: str | None = None


class FrameReader:
    """``reopen_initial_s``, doubling up to ``reopen_max_s``: waits between reopen attempts;
    ``reopen_deadline_s``: give up (raise :class:`CameraFailed`) after failing this long, None =
    never; ``stop``: the event that ends every wait (default: one of its own, set by :meth:`stop`).
    """

    def __init__(self, source: FrameSource, *, reopen_initial_s: float, reopen_max_s: float,
                 reopen_deadline_s: float | None = None, stop: threading.Event | None = None) -> None:
        self.source = source
        self.reopen_initial_s = reopen_initial_s
        self.reopen_max_s = reopen_max_s
        self.reopen_deadline_s = reopen_deadline_s
        self.stats = ReaderStats()
        self._latest: Frame | None = None
        self._ended = False
        self._failure: EdgeError | None = None
        self._opened_once = False
        self._stop = stop or threading.Event()
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
            self._thread.join(STOP_JOIN_S)
            if self._thread.is_alive():  # stuck in the driver: closing under it could crash
                log.warning("capture thread still in %s after %.0f s; leaving it", self.source.name,
                            STOP_JOIN_S)
                return
        self.source.close()

    @property
    def ended(self) -> bool:
        return self._ended

    # -- reading -----------------------------------------------------------------------------
    def next(self, timeout: float = 1.0) -> Frame | None:
        """The newest frame not yet returned; None on timeout, on stop or at the end of the source.

        Raises :class:`CameraFailed` (or the source's :class:`UserError`) when the camera is gone
        for good: past the reopen deadline, or failing in a way reopening cannot fix.
        """
        if not self.source.live:
            return self._read_blocking()
        with self._fresh:
            if self._latest is None and not self._ended and self._failure is None:
                self._fresh.wait(timeout)
            if self._failure is not None:
                raise self._failure
            frame, self._latest = self._latest, None
            return frame

    def _read_blocking(self) -> Frame | None:
        while not self._stop.is_set():
            if not self.stats.connected and not self._reopen():
                return None
            try:
                frame = self.source.read()
            except SourceUnavailable as exc:
                self._lost(exc)
                continue
            except EdgeError:
                raise
            except Exception as exc:
                log.exception("camera %s failed", self.source.name)
                raise CameraFailed(f"camera {self.source.name} failed: {exc!r}") from exc
            if frame is None:
                self._ended = True
                return None
            self.stats.frames += 1
            return replace(frame, image=as_bgr8(frame.image, self.source.name))
        return None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                frame = self._read_blocking()
            except EdgeError as exc:  # told to the loop, which stops the service with it
                with self._fresh:
                    self._failure = exc
                    self._fresh.notify_all()
                return
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

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        self.stats.last_error = str(exc)
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("cannot open %s (attempt %d): %s; retrying in %.2f s",
                    self.source.name, state.attempt_number, exc, wait)

    def _pause(self, seconds: float) -> None:
        """The backoff's sleep: over at once when the service is told to stop."""
        self._stop.wait(seconds)

    def _reopen(self) -> bool:
        """Open the source, retrying while it is unavailable; False when stopped meanwhile."""
        deadline = self.reopen_deadline_s
        retrying = Retrying(
            retry=retry_if_exception_type(SourceUnavailable),
            wait=wait_exponential(multiplier=self.reopen_initial_s, max=self.reopen_max_s),
            stop=(stop_after_delay(deadline) if deadline else stop_never)
            | stop_when_event_set(self._stop),
            sleep=self._pause,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    if self._stop.is_set():
                        return False
                    self._open()
        except SourceUnavailable as exc:
            if self._stop.is_set():
                return False
            raise CameraFailed(f"no camera for {deadline:.0f} s (camera.reopen_deadline_s), "
                               f"giving up so the service restarts: {exc}") from exc
        if self._opened_once:
            self.stats.reopened += 1
            log.info("camera %s reopened", self.source.name)
        self._opened_once = True
        self.stats.connected = True
        self.stats.last_error = None
        return True

    def _open(self) -> None:
        """``source.open()``, with a failure it does not expect made a :class:`CameraFailed`."""
        try:
            self.source.open()
        except EdgeError:
            raise
        except Exception as exc:
            log.exception("opening %s failed", self.source.name)
            raise CameraFailed(f"cannot open camera {self.source.name}: {exc!r}") from exc
