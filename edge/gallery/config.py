"""Settings of the local gallery and of offline operation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field

from edge.config.base import Section


class GallerySettings(Section):
    path: Path | None = Field(None, description="SQLite file; empty = <service.state_dir>/gallery.sqlite")
    encryption_key_file: Path | None = Field(
        None, description="32-byte key (raw or base64) to encrypt embeddings at rest (AES-GCM)"
    )
    max_faces_per_person: int = Field(20, ge=1, le=1000)
    duplicate_similarity: float = Field(
        0.99, gt=0, le=1, description="Refuse a face this similar to one already stored (YouTu's 99%)"
    )
    learn_max_false_accept: float = Field(
        1e-5, gt=0, lt=1, description="A cloud match at least this strict teaches the local cache"
    )
    sync_interval_s: float = Field(300.0, gt=0, description="Periodic revocation sync with the cloud")


class OfflineSettings(Section):
    max_age: timedelta = Field(
        timedelta(days=7),
        description="An entry not confirmed by the cloud for longer does not open the door offline",
    )
