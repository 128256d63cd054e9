"""The API's rate limit: a fixed window per account, reported on every answer.

``X-RateLimit-Limit`` (calls per window), ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``
(whole seconds until the window resets). Every call counts, failed ones too; a call over the
limit is answered 403 ``RATE_LIMIT_EXCEEDED``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from edge.emulators.sensetime.settings import RateLimit


class FixedWindow:
    def __init__(self, limit: RateLimit, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._clock = clock
        self._start = -math.inf
        self._used = 0
        self._lock = threading.Lock()

    def take(self) -> tuple[bool, dict[str, str]]:
        """Count one call: (allowed, the headers of its answer)."""
        with self._lock:
            now = self._clock()
            if now >= self._start + self.limit.window_s:
                self._start, self._used = now, 0
            self._used += 1
            allowed = self._used <= self.limit.queries
            reset = max(1, math.ceil(self._start + self.limit.window_s - now))
            headers = {
                "X-RateLimit-Limit": str(self.limit.queries),
                "X-RateLimit-Remaining": str(max(0, self.limit.queries - self._used)),
                "X-RateLimit-Reset": str(reset),
            }
            return allowed, headers
