"""Scenario fixtures: real photo sequences, a real gallery, the real vision core."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.capture.config import FolderSourceConfig
from edge.capture.folder import FolderSource
from edge.capture.reader import FrameReader
from edge.config.settings import Settings, load_settings
from edge.events.base import EventSink
from edge.gallery.enroll import Enrollment
from edge.gallery.store import GalleryStore
from edge.identify.chain import BackendChain
from edge.identify.factory import build_backends
from edge.service.metrics import Metrics
from edge.vision.image_io import read_image
from edge.vision.pipeline import FaceAnalyzer
from tests.conftest import FIXTURES

FACES = FIXTURES / "faces"
FRAME_W, FRAME_H = 640, 480


def loop_settings(tmp_path: Path, *, pad: bool = False, **access: object) -> Settings:
    """Door settings for the scenarios. PAD is off unless asked: these sequences show still photos
    pasted on a grey wall and moved as one plane, a print attack by construction (PAD's own
    scenarios are in test_pad_loop.py)."""
    return load_settings(
        None,
        vision={"pad": {"enabled": pad}},
        device={"id": "door-test", "door": "front"},
        service={"state_dir": str(tmp_path / "state"), "health_port": 0},
        mqtt={"enabled": False},
        access={"groups": ["default"], **access},
    )


def frame_of(photo: Path, *, shift: int = 0, blur: float = 0.0) -> np.ndarray:
    """A 640x480 door-camera frame with the photo's face in it (optionally blurred)."""
    image = read_image(photo, max_pixels=40_000_000)
    scale = min(FRAME_W / image.shape[1], FRAME_H / image.shape[0]) * 0.9
    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.full((FRAME_H, FRAME_W, 3), 90, np.uint8)
    y = (FRAME_H - image.shape[0]) // 2
    x = (FRAME_W - image.shape[1]) // 2 + shift
    canvas[y:y + image.shape[0], x:x + image.shape[1]] = image
    if blur:
        canvas = cv2.GaussianBlur(canvas, (0, 0), blur)
    return canvas


def empty_frame() -> np.ndarray:
    return np.full((FRAME_H, FRAME_W, 3), 90, np.uint8)


@pytest.fixture(scope="session")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer(loop_settings(Path("/nonexistent")).vision)


@pytest.fixture
def gallery(tmp_path: Path, analyzer: FaceAnalyzer) -> Iterator[GalleryStore]:
    """Obama may pass this door; Biden is enrolled but only in 'visitors'."""
    settings = loop_settings(tmp_path)
    store = GalleryStore(tmp_path / "gallery.sqlite")
    enrollment = Enrollment(store, analyzer, settings.gallery)
    for person_id, name, groups, photos in [
        ("obama", "Barack Obama", ["default"], ["1.jpg", "2.jpg"]),
        ("biden", "Joe Biden", ["visitors"], ["1.jpg"]),
    ]:
        folder = FACES / name.replace(" ", "_")
        accepted, refused = enrollment.examine_files([folder / p for p in photos])
        assert not refused, refused
        enrollment.add(person_id, name, groups, accepted)
    yield store
    store.close()


SequenceWriter = Callable[[list[np.ndarray]], Path]


@pytest.fixture
def write_sequence(tmp_path: Path) -> SequenceWriter:
    def write(frames: list[np.ndarray]) -> Path:
        folder = tmp_path / "frames"
        folder.mkdir()
        for i, frame in enumerate(frames):
            cv2.imwrite(str(folder / f"{i:04d}.png"), frame)
        return folder

    return write


def run_folder(settings: Settings, folder: Path, analyzer: FaceAnalyzer, gallery: GalleryStore,
               sinks: list[EventSink], metrics: Metrics | None = None) -> int:
    """The real appliance loop over a folder of frames (10 per second) until it ends; frames processed."""
    import threading

    from edge.service.runner import Appliance

    chain = BackendChain(build_backends(settings, gallery), settings.identify)
    appliance = Appliance(settings, analyzer, chain, gallery, sinks, metrics)
    reader = FrameReader(FolderSource(FolderSourceConfig(path=folder, fps=10)),
                         reopen_initial_s=0.1, reopen_max_s=0.2).start()
    try:
        return appliance.run(reader, threading.Event())
    finally:
        reader.stop()
        chain.close()
