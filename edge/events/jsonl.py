"""A JSON-lines sink: one line per access event, appended to a local file."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from edge.access.event import AccessEvent
from edge.errors import ConfigError
from edge.storage.private import private_folder

FSYNC_INTERVAL_S = 1.0


class JsonlSink:
    """Appends each event as one JSON line.

    Every line is flushed to the OS at once; ``fsync`` runs at most once per
    :data:`FSYNC_INTERVAL_S` (and at close), so a power cut loses at most that last second
    while the capture loop never waits on the disk for each event.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            private_folder(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._file = os.fdopen(fd, "a", encoding="utf-8")  # names of people: the owner's only
        except OSError as exc:
            raise ConfigError([f"jsonl.path: cannot open {path}: {exc.strerror}"]) from exc
        self._lock = threading.Lock()
        self._last_sync = time.monotonic()

    def handle(self, event: AccessEvent) -> None:
        line = event.model_dump_json() + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()
            now = time.monotonic()
            if now - self._last_sync >= FSYNC_INTERVAL_S:
                os.fsync(self._file.fileno())
                self._last_sync = now

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()
