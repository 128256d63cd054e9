"""The PAD stage releases the pixels of a track's older frames without changing any verdict
(real detector, real methods, on the committed print-attack clip and the bundled carphone clip)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Sequence

import cv2
import numpy as np
import pytest

from edge.capture.opencv import DEMO_CLIP
from edge.config.settings import load_settings
from edge.eval.bench.device import clip_frames
from edge.eval.pad import pad_frames
from edge.vision.pad.base import PadFrame
from edge.vision.pad.blink import BlinkSettings
from edge.vision.pad.config import PadSettings
from edge.vision.pad.depth import DepthSettings
from edge.vision.pad.edges import PrintFrameSettings
from edge.vision.pad.infrared import InfraredSettings
from edge.vision.pad.motion import RigidMotionSettings
from edge.vision.pad.specular import SpecularSettings
from edge.vision.pad.stage import PadStage, PadVerdict
from edge.vision.pad.texture import TextureSettings
from edge.vision.pipeline import FaceAnalyzer
from tests.support.print_attack import FIXTURE_CLIP


class KeepingEveryFrame(PadStage):
    """The stage as it was: every frame of a track keeps its pixels."""

    def _release(self, frames: Sequence[PadFrame]) -> None:
        pass


@pytest.fixture(scope="module")
def clips() -> list[list[PadFrame]]:
    """Both clips' tracks, each frame with a synthesized IR and depth frame (missing in some
    frames, as from a sensor that drops frames) for the hardware methods."""
    analyzer = FaceAnalyzer(load_settings(None).vision)
    tracks = [pad_frames(clip_frames(clip, 200, 1), analyzer.detect) for clip in (FIXTURE_CLIP, DEMO_CLIP)]
    with_sensors = []
    for track in tracks:
        out = []
        for k, frame in enumerate(track):
            grey = cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY)
            ir = None if k % 5 == 4 else grey
            depth = None if k % 6 == 5 else (0.5 + grey / 2550).astype(np.float32)
            out.append(PadFrame(frame.time, frame.image, frame.detection, ir, depth))
        with_sensors.append(out)
    return with_sensors


def play(stage: PadStage, streams: list[list[PadFrame]]) -> tuple[list[PadVerdict], list[PadFrame]]:
    """The streams' frames interleaved into one stage (fresh frame objects); a stream whose track
    got its final verdict goes on as a new track. The verdicts, and the frames observed."""
    verdicts, observed = [], []
    track_ids = list(range(len(streams)))
    for step in range(max(map(len, streams))):
        for k, stream in enumerate(streams):
            if step < len(stream):
                observed.append(stream[step].copy())
                verdicts.append(stage.observe(track_ids[k], observed[-1]))
                if verdicts[-1].final:
                    track_ids[k] += len(streams)
    return verdicts, observed


CONFIGS = {
    "default": PadSettings(),
    "rigid_motion": PadSettings(methods=[RigidMotionSettings()]),
    "rigid_motion_5_pairs": PadSettings(methods=[RigidMotionSettings(pairs=5)], max_frames=6),
    "texture": PadSettings(methods=[TextureSettings()]),
    "print_frame": PadSettings(methods=[PrintFrameSettings()]),
    "blink": PadSettings(methods=[BlinkSettings()]),
    "specular": PadSettings(methods=[SpecularSettings()]),
    "infrared": PadSettings(methods=[InfraredSettings()]),
    "depth": PadSettings(methods=[DepthSettings()]),
    "all_methods": PadSettings(methods=[RigidMotionSettings(), TextureSettings(), PrintFrameSettings(),
                                        BlinkSettings(), SpecularSettings(), InfraredSettings(),
                                        DepthSettings()], fusion="mean"),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_releasing_pixels_changes_no_verdict(clips, name) -> None:
    """Every verdict, with each method's score and evidence, equals the one of a stage keeping
    every frame whole; a method reading a released frame's pixels would raise PixelsReleased."""
    settings = CONFIGS[name]
    kept, kept_frames = play(KeepingEveryFrame.from_settings(settings), clips)
    released, released_frames = play(PadStage.from_settings(settings), clips)
    assert released == kept
    assert not any(f.released for f in kept_frames)
    assert sum(f.released for f in released_frames) > len(released_frames) / 3
    assert {v.outcome for v in kept} != {"undecided"} or name == "blink"


def test_frames_a_track_moved_past_keep_no_pixels(clips) -> None:
    """Once a track is some frames further on, its older frames' images are freed while the track
    is still being judged; only the newest the methods still read (rigid_motion's pairs) live."""
    stage = PadStage.from_settings(PadSettings(max_frames=30))
    pairs = RigidMotionSettings().pairs
    images = []
    for k, frame in enumerate(clips[1][:12]):
        image = frame.image.copy()  # held by this frame object only
        images.append(weakref.ref(image))
        verdict = stage.observe(1, PadFrame(frame.time, image, frame.detection))
        del image
        gc.collect()
        assert not verdict.final
        alive = [ref() is not None for ref in images]
        assert alive == [j > k - pairs + 1 for j in range(k + 1)], k
