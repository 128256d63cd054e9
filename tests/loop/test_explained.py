"""A low_quality event names the gate that refused the face, through the real loop."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from edge.capture.config import FolderSourceConfig
from edge.capture.folder import FolderSource
from edge.capture.reader import FrameReader
from edge.eval.occlusion import draw_mask, draw_sunglasses
from edge.events.memory import ListSink
from edge.gallery.store import GalleryStore
from edge.identify.chain import BackendChain
from edge.identify.factory import build_backends
from edge.service.runner import Appliance
from edge.vision.pipeline import FaceAnalyzer
from tests.loop.conftest import FACES, SequenceWriter, frame_of, loop_settings

OBAMA = FACES / "Barack_Obama" / "3.jpg"


def dark(frame: np.ndarray) -> np.ndarray:
    return (frame * 0.12).astype(np.uint8)


Occluder = Callable[[np.ndarray, np.ndarray, np.random.Generator], np.ndarray]


def occluded(draw: Occluder, analyzer: FaceAnalyzer) -> np.ndarray:
    """The frame with an occluder drawn where the detector finds the face (a fixed seed)."""
    frame = frame_of(OBAMA)
    return draw(frame, analyzer.detect(frame)[0].keypoints, np.random.default_rng(0))


@pytest.mark.parametrize(("make", "gate"), [(lambda _: frame_of(OBAMA, blur=5.0), "blurry"),
                                             (lambda _: dark(frame_of(OBAMA)), "too_dark"),
                                             (partial(occluded, draw_mask), "occluded"),
                                             (partial(occluded, draw_sunglasses), "occluded")],
                         ids=["blurry", "too_dark", "mask", "sunglasses"])
def test_low_quality_names_the_gate(make, gate: str, tmp_path: Path, analyzer: FaceAnalyzer,
                                    gallery: GalleryStore, write_sequence: SequenceWriter) -> None:
    settings = loop_settings(tmp_path)
    sink = ListSink()
    chain = BackendChain(build_backends(settings, gallery), settings.identify)
    reader = FrameReader(FolderSource(FolderSourceConfig(path=write_sequence([make(analyzer)] * 20), fps=10)),
                         reopen_initial_s=0.1, reopen_max_s=0.2).start()
    try:
        Appliance(settings, analyzer, chain, gallery, [sink]).run(reader, threading.Event())
    finally:
        reader.stop()
        chain.close()
    (event,) = sink.events
    assert (event.decision, event.reason) == ("denied", "low_quality")
    assert gate in event.quality_reasons
