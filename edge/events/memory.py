"""A sink that keeps the events in a list: benchmarks and scripted scenarios read it back."""

from __future__ import annotations

from edge.access.event import AccessEvent


class ListSink:
    def __init__(self) -> None:
        self.events: list[AccessEvent] = []

    def handle(self, event: AccessEvent) -> None:
        self.events.append(event)

    def close(self) -> None:
        return None
