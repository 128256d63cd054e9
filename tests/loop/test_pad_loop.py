"""PAD through the real loop: a printed photo of an enrolled person is denied as an attack; the
real person's clip (the bundled carphone clip and its demo gallery) is still granted."""

from __future__ import annotations

import threading
from pathlib import Path

from edge.access.event import AccessEvent
from edge.capture.config import OpenCVSourceConfig
from edge.capture.opencv import DEMO_CLIP, OpenCVSource
from edge.capture.reader import FrameReader
from edge.events.memory import ListSink
from edge.gallery.store import GalleryStore
from edge.identify.chain import BackendChain
from edge.identify.factory import build_backends
from edge.service.demo import seed_demo_gallery
from edge.service.runner import Appliance
from edge.vision.pipeline import FaceAnalyzer
from tests.loop.conftest import loop_settings
from tests.support.print_attack import FIXTURE_CLIP


def play_clip(clip: Path, tmp_path: Path, analyzer: FaceAnalyzer, gallery: GalleryStore,
              max_frames: int | None = None, **pad: object) -> list[AccessEvent]:
    settings = loop_settings(tmp_path, pad=True)
    if pad:
        settings.vision.pad = settings.vision.pad.model_copy(update=pad)
    sink = ListSink()
    chain = BackendChain(build_backends(settings, gallery), settings.identify)
    appliance = Appliance(settings, analyzer, chain, gallery, [sink])
    source = OpenCVSource(OpenCVSourceConfig(uri=str(clip), realtime=False))
    reader = FrameReader(source, reopen_initial_s=0.1, reopen_max_s=0.2).start()
    try:
        appliance.run(reader, threading.Event(), max_frames=max_frames)
    finally:
        reader.stop()
        chain.close()
    return sink.events


def test_printed_photo_of_an_enrolled_person_is_denied(tmp_path, analyzer, gallery) -> None:
    events = play_clip(FIXTURE_CLIP, tmp_path, analyzer, gallery)
    assert [(e.decision, e.reason, e.person_id) for e in events] == [
        ("denied", "presentation_attack", "obama")
    ]
    (event,) = events
    assert event.pad is not None and event.pad.verdict == "attack"
    motion = event.pad.methods["rigid_motion"]
    assert motion.attack >= motion.threshold and motion.frames_used >= 2


def test_printed_photo_is_granted_with_pad_off(tmp_path, analyzer, gallery) -> None:
    """The clip does name the enrolled person: only PAD stands between the photo and the door."""
    events = play_clip(FIXTURE_CLIP, tmp_path, analyzer, gallery, enabled=False)
    assert [(e.decision, e.reason, e.person_id) for e in events] == [("granted", "recognized", "obama")]


def test_real_person_is_still_granted(tmp_path, analyzer) -> None:
    settings = loop_settings(tmp_path, pad=True)
    store = GalleryStore(tmp_path / "demo.sqlite")
    try:
        seed_demo_gallery(store, analyzer, settings)
        events = play_clip(DEMO_CLIP, tmp_path, analyzer, store, max_frames=60)
    finally:
        store.close()
    granted = [e for e in events if e.decision == "granted"]
    assert [(e.reason, e.person_id) for e in granted] == [("recognized", "carphone-driver")]
    assert not [e for e in events if e.reason == "presentation_attack"]
    assert granted[0].pad is not None and granted[0].pad.verdict == "bona_fide"
