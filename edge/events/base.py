"""The interface every event sink implements (MQTT, JSON lines)."""

from __future__ import annotations

from typing import Protocol

from edge.access.event import AccessEvent


class EventSink(Protocol):
    """Receives every access decision.

    ``handle`` runs on the capture loop: it must only commit the event locally (a file append,
    a SQLite insert) and return; network I/O happens on the sink's own thread.
    """

    def handle(self, event: AccessEvent) -> None: ...

    def close(self) -> None: ...
