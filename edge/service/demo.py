"""The embedded default: the bundled clip, and a demo gallery enrolled from bundled photos."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

from edge.capture.config import OpenCVSourceConfig
from edge.config.settings import Settings
from edge.gallery.enroll import Enrollment
from edge.gallery.store import GalleryStore
from edge.identify.base import Enroller
from edge.vision.pipeline import FaceAnalyzer

log = logging.getLogger(__name__)

DEMO_DIR = Path(__file__).resolve().parents[1] / "demo"


def is_demo(settings: Settings) -> bool:
    """True when no camera is configured: the appliance plays the bundled clip."""
    source = settings.camera.source
    return isinstance(source, OpenCVSourceConfig) and not source.uri


def demo_settings(settings: Settings) -> Settings:
    """Keep the demo's gallery and outbox apart from a real installation's state; one demo gallery
    per descriptor model (a gallery answers only to the model that made its embeddings)."""
    state_dir = settings.service.state_dir / "demo"
    service = settings.service.model_copy(update={"state_dir": state_dir})
    gallery_path = state_dir / f"gallery-{settings.vision.descriptor_model}.sqlite"
    gallery = settings.gallery.model_copy(update={"path": gallery_path, "encryption_key_file": None})
    ui = settings.ui.model_copy(update={"password_file": settings.ui_password_path})  # the real admin's
    return settings.model_copy(update={"service": service, "gallery": gallery, "ui": ui})


def seed_demo_gallery(store: GalleryStore, analyzer: FaceAnalyzer, settings: Settings,
                      enrollers: Sequence[Enroller] = ()) -> None:
    """Enroll the bundled demo people once (nothing is touched if they are there), also in
    ``enrollers`` (clouds)."""
    manifest = json.loads((DEMO_DIR / "people.json").read_text(encoding="utf-8"))
    enrollment = Enrollment(store, analyzer, settings.gallery, enrollers)
    for entry in manifest["people"]:
        if store.person(entry["id"]) is not None:
            continue
        accepted, refused = enrollment.examine_files([DEMO_DIR / "people" / entry["id"]])
        for refusal in refused:
            log.warning("demo photo %s refused: %s", refusal.source, refusal.reason)
        enrollment.add(entry["id"], entry["name"], entry["groups"], accepted, refused)
        log.info("demo gallery: enrolled %s from %d photos", entry["name"], len(accepted))
