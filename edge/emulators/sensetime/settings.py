"""What an emulator instance is configured with: credentials, data folder, limits, quotas."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from edge.errors import ConfigError

DEFAULT_RATE_LIMIT = "50q/10s"
FACE_TTL_S = 5 * 86400.0  # a face_id is valid 5 days; then it can only be removed (seed 004)
TASK_TTL_S = 86400.0  # task ids live 24 h
QUOTA_KEYS = ("calls", "persons", "groups", "facesets", "faces_per_person", "persons_per_group",
              "faces_per_faceset")
DEFAULT_QUOTA = {
    "calls": 1_000_000, "persons": 10_000, "groups": 1_000, "facesets": 1_000,
    "faces_per_person": 20, "persons_per_group": 10_000, "faces_per_faceset": 10_000,
}


@dataclass(frozen=True)
class RateLimit:
    """``<queries>q/<seconds>s``, e.g. ``50q/10s``: at most that many calls per window."""

    queries: int
    window_s: float

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        match = re.fullmatch(r"\s*(\d+)\s*q\s*/\s*(\d+(?:\.\d+)?)\s*s\s*", text)
        if not match or int(match[1]) < 1 or float(match[2]) <= 0:
            raise ConfigError([f"rate limit {text!r}: expected like 50q/10s"])
        return cls(int(match[1]), float(match[2]))

    def __str__(self) -> str:
        return f"{self.queries}q/{self.window_s:g}s"


@dataclass(frozen=True)
class EmulatorSettings:
    api_id: str
    api_secret: str
    data_dir: Path
    rate_limit: RateLimit = field(default_factory=lambda: RateLimit.parse(DEFAULT_RATE_LIMIT))
    quota: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_QUOTA))
    train_delay_s: float = 1.0  # an untrained target is trained this long after a 202 answer
    face_ttl_s: float = FACE_TTL_S
    task_ttl_s: float = TASK_TTL_S
    max_file_bytes: int = 5 * 1024 * 1024  # the document's 5 MB image limit
    download_timeout_s: float = 5.0  # fetching an image given by url
    url_allow: tuple[str, ...] = ()  # hosts a url may name (edge.emulators.fetch); empty: any

    @staticmethod
    def parse_quota(items: list[str]) -> dict[str, int]:
        """``["persons=100", "calls=5000"]`` over the defaults; unknown keys are errors."""
        quota = dict(DEFAULT_QUOTA)
        problems = []
        for item in items:
            key, _, value = item.partition("=")
            if key not in QUOTA_KEYS or not value.isdigit():
                problems.append(f"quota {item!r}: expected KEY=N with KEY one of {', '.join(QUOTA_KEYS)}")
            else:
                quota[key] = int(value)
        if problems:
            raise ConfigError(problems)
        return quota
