"""The service's frequency control (code 15), optional: a token bucket per server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimit:
    """At most ``per_second`` requests per second on average, bursts up to ``per_second``."""

    def __init__(self, per_second: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_second
        self._tokens = per_second
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._rate, self._tokens + (now - self._last) * self._rate)
            self._last = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True
