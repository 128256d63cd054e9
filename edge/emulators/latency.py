"""An emulator that answers like a distant cloud: every HTTP request waits a fixed time first.

``edge emulate ... --latency-ms 300`` and ``edge bench cloud --latency-ms`` wrap the emulator's
ASGI app in :class:`AddedLatency`. The wait is an ``asyncio.sleep`` before the app sees the
request, so concurrent requests wait side by side (as round trips to a far cloud do) rather than
one after another.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send


class AddedLatency:
    """ASGI middleware: each HTTP request reaches ``app`` ``seconds`` (>= 0) after it arrived."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("an added latency cannot be negative")
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.seconds:
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


def with_latency(app: ASGIApp, milliseconds: float) -> ASGIApp:
    """``app`` itself when ``milliseconds`` is 0, else wrapped in :class:`AddedLatency`."""
    return AddedLatency(app, milliseconds / 1000.0) if milliseconds else app
