"""The interface every event sink implements (MQTT, JSON lines)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from edge.access.event import AccessEvent


class EventSink(Protocol):
    """Receives every access decision.

    ``handle`` runs on the capture loop: it must only commit the event locally (a file append,
    a SQLite insert) and return; network I/O happens on the sink's own thread.
    """

    def handle(self, event: AccessEvent) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class FaceKeepingSink(EventSink, Protocol):
    """A sink that can keep the decision's face crop (the audit log, ``service.keep_face_images``).

    The loop calls :meth:`handle_with_face` instead of ``handle`` when the setting is on.
    ``face_jpeg`` is the JPEG of the face box (with a margin) of the frame that decided.
    """

    def handle_with_face(self, event: AccessEvent, face_jpeg: bytes) -> None: ...
