"""The embedded demo keeps working when the descriptor changes: one demo gallery per model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge.config.settings import Settings
from edge.gallery.store import GalleryStore
from edge.service.demo import demo_settings


def settings_with(descriptor: str, state_dir: Path) -> Settings:
    return Settings(vision={"descriptor": descriptor}, service={"state_dir": state_dir})


def test_each_descriptor_model_has_its_own_demo_gallery(default_env: None, tmp_path: Path) -> None:
    dlib = demo_settings(settings_with("dlib", tmp_path))
    with GalleryStore.from_settings(dlib) as store:
        store.add_person("carphone-driver", "Driver", ["demo"])
        store.add_face("carphone-driver", np.eye(128, dtype=np.float32)[0], "enrolled")
    facenet = demo_settings(settings_with("facenet", tmp_path))
    assert facenet.gallery_path != dlib.gallery_path
    assert facenet.gallery_path.parent == dlib.gallery_path.parent == tmp_path / "demo"
    with GalleryStore.from_settings(facenet) as store:  # not the dlib gallery: no refusal
        assert store.people() == []
    with GalleryStore.from_settings(dlib) as store:  # and the dlib one is still there
        assert store.require_person("carphone-driver").faces == 1
