"""The live view: nothing encoded without a viewer, at most ``max_fps`` with one, labels and decisions."""

from __future__ import annotations

import time

import cv2
import numpy as np

from edge.access.event import AccessEvent, Match
from edge.capture.base import Frame
from edge.identify.verdict import Verdict
from edge.service.runner import SeenFace
from edge.ui.live import LiveView
from edge.vision.types import Box

MATCH = Match(backend="local", score=0.98, scale="cosine", threshold=0.95, false_accept=1e-4)


def frame(index: int) -> Frame:
    return Frame(np.full((144, 176, 3), 90, np.uint8), index, index / 30)


def face(track: int, person: str | None) -> SeenFace:
    return SeenFace(Box(40, 30, 60, 70), track, True, Verdict(person, MATCH if person else None))


def test_nothing_is_watched_or_encoded_without_a_viewer() -> None:
    live = LiveView(lambda pid: None, max_fps=10, jpeg_quality=70)
    try:
        assert not live.watching
        assert live.next_jpeg(0, timeout_s=0.2) is None
        with live.viewer():
            assert live.watching
        assert not live.watching
    finally:
        live.close()


def test_frames_are_encoded_at_most_max_fps_with_names_and_decisions() -> None:
    names = {"ann": "Ann Example"}
    live = LiveView(names.get, max_fps=5, jpeg_quality=70)
    live.handle(AccessEvent(device="d", door="front", track=1, decision="granted", reason="recognized",
                            person_id="ann", person_name="Ann Example", match=MATCH))
    encoded = 0
    try:
        with live.viewer():
            seq = 0
            started = time.monotonic()
            index = 0
            while time.monotonic() - started < 1.0:  # the loop offers 100 frames a second
                index += 1
                live.show(frame(index), [face(1, "ann"), face(2, None)])
                got = live.next_jpeg(seq, timeout_s=0.0)
                if got:
                    seq, jpeg = got
                    encoded += 1
                time.sleep(0.01)
            image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    finally:
        live.close()
    assert 2 <= encoded <= 6
    assert image.shape[1] >= 480  # a QCIF camera is scaled up for readable labels
    labels = {label.track: label for label in live.labels()}
    assert labels[1].name == "Ann Example" and labels[1].decision == "granted: recognized"
    assert labels[2].name == "unknown" and labels[2].decision is None
    assert live.recent[0].person_name == "Ann Example"


def test_grab_returns_the_next_frame_shown() -> None:
    live = LiveView(lambda pid: None, max_fps=5, jpeg_quality=70)
    try:
        assert live.grab(timeout_s=0.1) is None  # the loop showed nothing
        import threading

        offer = threading.Timer(0.1, lambda: live.show(frame(7), []))
        offer.start()
        image = live.grab(timeout_s=2.0)
        assert image is not None and image.shape == (144, 176, 3)
    finally:
        live.close()
