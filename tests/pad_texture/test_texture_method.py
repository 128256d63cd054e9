"""The texture PAD method on tracks: a simulated print against the same face presented live."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.eval.pad_simulate import SimulatedTrack, simulate_tracks
from edge.vision.config import VisionSettings
from edge.vision.pad.base import PadFrame
from edge.vision.pad.texture import TextureMethod, TextureSettings
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Box, Detection
from tests.pad_texture.conftest import largest_face, photo

NO_KEYPOINTS = np.zeros((6, 2), np.float32)


@pytest.fixture(scope="module")
def method() -> TextureMethod:
    return TextureMethod(TextureSettings(), VisionSettings().models_dir)


def pad_frames(analyzer: FaceAnalyzer, track: SimulatedTrack) -> list[PadFrame]:
    """The track as the PAD stage hands it over: each frame with the detector's box of the face."""
    frames = []
    for i, (frame, placed) in enumerate(zip(track.frames, track.faces)):
        detection = max(analyzer.detect(frame), key=lambda d: d.box.iou(placed))
        frames.append(PadFrame(i / 10, frame, detection))
    return frames


@pytest.mark.parametrize(("face", "backdrop"), [("Barack_Obama/1.jpg", "Joe_Biden/1.jpg"),
                                                ("Eileen_Collins/1.jpg", "Barack_Obama/2.jpg")])
def test_a_print_of_a_fixture_face_is_an_attack_and_the_face_itself_is_not(
        analyzer: FaceAnalyzer, method: TextureMethod, face: str, backdrop: str) -> None:
    source = photo(face)
    live, printed = simulate_tracks(source, largest_face(analyzer, source), photo(backdrop), seed=5,
                                    kinds=("bona_fide", "print"), frames=5)
    live_score = method.score(pad_frames(analyzer, live))
    print_score = method.score(pad_frames(analyzer, printed))
    assert live_score is not None and print_score is not None
    assert print_score.is_attack and not live_score.is_attack
    assert print_score.attack > live_score.attack
    assert print_score.method == "texture" and print_score.frames_used == 5
    assert print_score.threshold == method.threshold
    details = print_score.details
    assert details["frame_attack_min"] <= print_score.attack <= details["frame_attack_max"]


def test_without_a_usable_face_the_method_cannot_decide(method: TextureMethod) -> None:
    image = photo("Joe_Biden/1.jpg")
    assert method.score([]) is None
    tiny = PadFrame(0.0, image, Detection(Box(10, 10, 20, 20), 0.9, NO_KEYPOINTS))  # under MIN_FACE_PX
    assert method.score([tiny, tiny]) is None


def test_a_camera_in_night_mode_is_not_judged_a_black_and_white_print_is(
        analyzer: FaceAnalyzer, method: TextureMethod) -> None:
    """Grey frames (IR night mode) say nothing: the classifier never saw a grey bona fide face.
    A grey face in a colour frame is a black-and-white print and is still judged."""
    image = photo("Joe_Biden/1.jpg")
    face = max(analyzer.detect(image), key=lambda d: d.box.w)
    grey = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    assert method.score([PadFrame(0.0, grey, face)] * 3) is None
    print_in_colour_room = image.copy()
    box = face.box
    y0, y1, x0, x1 = int(box.y), int(box.y + box.h), int(box.x), int(box.x + box.w)
    print_in_colour_room[y0:y1, x0:x1] = grey[y0:y1, x0:x1]
    assert method.score([PadFrame(0.0, print_in_colour_room, face)] * 3) is not None


def test_settings_bound_the_frames_and_override_the_threshold(analyzer: FaceAnalyzer) -> None:
    image = photo("Joe_Biden/1.jpg")
    frame = PadFrame(0.0, image, max(analyzer.detect(image), key=lambda d: d.box.w))
    models = VisionSettings().models_dir
    assert TextureMethod(TextureSettings(min_frames=3), models).score([frame, frame]) is None
    bounded = TextureMethod(TextureSettings(max_frames=2, threshold=0.99), models).score([frame] * 4)
    assert bounded is not None and bounded.frames_used == 2 and bounded.threshold == 0.99
    default = TextureMethod(TextureSettings(), models)
    assert 0 < default.threshold < 1 and default.threshold != 0.99


def test_the_settings_build_the_method_from_the_shipped_models() -> None:
    method = TextureSettings().build()
    assert isinstance(method, TextureMethod) and method.name == "texture"
    assert TextureSettings.model_validate({"type": "texture", "threshold": 0.3}).build().threshold == 0.3
