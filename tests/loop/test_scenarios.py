"""Scripted door scenarios on real photo sequences, through the real loop, with exact outcomes."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from edge.capture.config import FolderSourceConfig
from edge.capture.folder import FolderSource
from edge.capture.reader import FrameReader
from edge.events.memory import ListSink
from edge.gallery.store import GalleryStore
from edge.identify.chain import BackendChain
from edge.identify.factory import build_backends
from edge.service.runner import Appliance
from edge.vision.pipeline import FaceAnalyzer
from tests.loop.conftest import FACES, SequenceWriter, empty_frame, frame_of, loop_settings, run_folder

OBAMA = FACES / "Barack_Obama" / "3.jpg"  # not one of the enrollment photos
BIDEN = FACES / "Joe_Biden" / "2.jpg"
STRANGER = FACES / "Eileen_Collins" / "1.jpg"


def play(frames: list[np.ndarray], write: SequenceWriter, tmp_path: Path, analyzer: FaceAnalyzer,
         gallery: GalleryStore, **access: object) -> list[tuple[str, str, str | None]]:
    settings = loop_settings(tmp_path, **access)
    sink = ListSink()
    assert run_folder(settings, write(frames), analyzer, gallery, [sink]) == len(frames)
    return [(e.decision, e.reason, e.person_id) for e in sink.events]


def test_enrolled_person_is_granted_once(tmp_path, analyzer, gallery, write_sequence) -> None:
    frames = [frame_of(OBAMA, shift=2 * i) for i in range(12)]
    assert play(frames, write_sequence, tmp_path, analyzer, gallery) == [
        ("granted", "recognized", "obama")
    ]


def test_stranger_is_never_granted(tmp_path, analyzer, gallery, write_sequence) -> None:
    frames = [frame_of(STRANGER, shift=i) for i in range(12)]
    assert play(frames, write_sequence, tmp_path, analyzer, gallery) == [("denied", "unknown", None)]


def test_single_good_frame_among_bad_ones_does_not_grant(
    tmp_path, analyzer, gallery, write_sequence
) -> None:
    blurred = frame_of(OBAMA, blur=5.0)
    faces = analyzer.analyze(blurred)
    assert len(faces) == 1 and "blurry" in faces[0].quality.reasons  # the bad frames are seen, and refused
    frames = [blurred] * 6 + [frame_of(OBAMA)] + [blurred] * 12
    outcome = play(frames, write_sequence, tmp_path, analyzer, gallery)
    assert outcome == []  # one sharp frame names him once: not enough to open, nor to call him unknown


def test_cooldown_holds(tmp_path, analyzer, gallery, write_sequence) -> None:
    visit = [frame_of(OBAMA, shift=i) for i in range(6)]
    away = [empty_frame()] * 20  # 2 s: the track ends
    frames = visit + away + visit
    assert play(frames, write_sequence, tmp_path, analyzer, gallery, cooldown_s=10) == [
        ("granted", "recognized", "obama")
    ]
    (tmp_path / "frames").rename(tmp_path / "frames-1")
    assert play(frames, write_sequence, tmp_path, analyzer, gallery, cooldown_s=1) == [
        ("granted", "recognized", "obama"), ("granted", "recognized", "obama")
    ]


def test_person_not_in_the_doors_groups_is_denied(tmp_path, analyzer, gallery, write_sequence) -> None:
    frames = [frame_of(BIDEN, shift=i) for i in range(8)]
    assert play(frames, write_sequence, tmp_path, analyzer, gallery) == [
        ("denied", "not_allowed", "biden")
    ]


def test_camera_that_disappears_is_reopened(tmp_path: Path, write_sequence: SequenceWriter) -> None:
    folder = write_sequence([empty_frame()] * 3)
    reader = FrameReader(FolderSource(FolderSourceConfig(path=folder, fps=10, loop=True)),
                         reopen_initial_s=0.05, reopen_max_s=0.2).start()
    try:
        assert reader.next() is not None
        folder.rename(tmp_path / "unplugged")
        timer = threading.Timer(0.5, lambda: (tmp_path / "unplugged").rename(folder))
        timer.start()
        frames = [reader.next() for _ in range(5)]
        timer.join()
        assert all(f is not None for f in frames)
        assert reader.stats.reopened >= 1 and reader.stats.connected
    finally:
        reader.stop()


@pytest.mark.parametrize("decision_frames", [3])
def test_grant_latency_is_the_decision_window(
    tmp_path, analyzer, gallery, write_sequence, decision_frames: int
) -> None:
    """At 10 fps, K=3 agreeing frames decide 200 ms of media time after the first sighting."""
    settings = loop_settings(tmp_path)
    sink = ListSink()
    chain = BackendChain(build_backends(settings, gallery), settings.identify)
    folder = write_sequence([frame_of(OBAMA)] * 5)
    appliance = Appliance(settings, analyzer, chain, gallery, [sink])
    reader = FrameReader(FolderSource(FolderSourceConfig(path=folder, fps=10)),
                         reopen_initial_s=0.1, reopen_max_s=0.2).start()
    appliance.run(reader, threading.Event())
    reader.stop()
    chain.close()
    (event,) = sink.events
    assert event.latency_ms == pytest.approx((decision_frames - 1) * 100, abs=1)
    assert event.match is not None and event.match.backend == "local"
    assert event.match.score >= event.match.threshold and event.match.false_accept <= 1e-4
