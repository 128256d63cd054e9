"""The appearance cues of the PAD stage, blink and specular flatness, on tracks made from a real
photo (real detector keypoints, real alignment): what each sees and what it must not."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge.config.settings import load_settings
from edge.errors import ConfigError
from edge.vision.pad.blink import BlinkSettings
from edge.vision.pad.specular import SpecularSettings
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import LEFT_EYE, NOSE, RIGHT_EYE
from tests.support.print_attack import print_attack_clip
from tests.vision.test_pad import PHOTO, SIZE, head_moving_before_a_wall, track_of


@pytest.fixture(scope="module")
def head_frames(analyzer: FaceAnalyzer) -> list[np.ndarray]:
    return head_moving_before_a_wall(cv2.imread(str(PHOTO)), analyzer, 8, 1.5)


def close_eyes(image: np.ndarray, analyzer: FaceAnalyzer) -> np.ndarray:
    """The frame with both eyelids shut: each eye covered by skin taken from just below it."""
    out = image.copy()
    points = analyzer.detect(image)[0].keypoints
    span = float(np.hypot(*(points[LEFT_EYE] - points[RIGHT_EYE])))
    for eye in (points[RIGHT_EYE], points[LEFT_EYE]):
        x, y = int(eye[0]), int(eye[1])
        below = image[y + int(0.35 * span):y + int(0.5 * span), x - 3:x + 3]
        lid = np.zeros(image.shape[:2], np.uint8)
        cv2.ellipse(lid, (x, y), (int(0.3 * span), int(0.14 * span)), 0, 0, 360, 255, -1)
        out[lid > 0] = below.reshape(-1, 3).mean(axis=0)
    return out


def test_a_blink_is_seen_and_says_bona_fide(analyzer, head_frames) -> None:
    frames = list(head_frames)
    frames[4], frames[5] = close_eyes(frames[4], analyzer), close_eyes(frames[5], analyzer)
    score = BlinkSettings().build().score(track_of(frames, analyzer))
    assert score is not None and not score.is_attack, score
    assert score.details["blink_frame"] in (4.0, 5.0) and score.details["blink_strength"] >= 2.5


def test_eyes_that_never_close_say_nothing(analyzer, head_frames) -> None:
    """Open eyes are no evidence either way: a live person need not blink within a second."""
    blink = BlinkSettings().build()
    assert blink.score(track_of(head_frames, analyzer)) is None
    printed = print_attack_clip(cv2.imread(str(PHOTO)), frames=8, size=SIZE, seed=1)
    assert blink.score(track_of(printed, analyzer)) is None


def lit(frames: list[np.ndarray], light: np.ndarray) -> list[np.ndarray]:
    """Frame k times ``1 + (k / n) * light``: a light change growing over the track."""
    gains = [1 + k / len(frames) * light for k in range(len(frames))]
    return [np.clip(f * g[..., None], 0, 255).astype(np.uint8) for f, g in zip(frames, gains)]


def test_a_sheet_brightening_as_one_plane_is_flat(analyzer) -> None:
    frames = print_attack_clip(cv2.imread(str(PHOTO)), frames=8, size=SIZE, seed=1)
    xs = np.linspace(-0.5, 0.5, SIZE[0], dtype=np.float32)
    score = SpecularSettings().build().score(track_of(lit(frames, np.tile(2 * xs, (SIZE[1], 1))), analyzer))
    assert score is not None and score.is_attack, score


def test_a_face_catching_light_on_its_curves_is_not_flat(analyzer, head_frames) -> None:
    """A highlight growing on the nose and one cheek, as when a head turns towards a lamp."""
    nose = analyzer.detect(head_frames[-1])[0].keypoints[NOSE]
    ys, xs = np.mgrid[0:SIZE[1], 0:SIZE[0]].astype(np.float32)
    highlight = 0.8 * np.exp(-((xs - nose[0] + 6) ** 2 + (ys - nose[1]) ** 2) / (2 * 8.0**2))
    score = SpecularSettings().build().score(track_of(lit(head_frames, highlight), analyzer))
    assert score is not None and not score.is_attack, score


def test_steady_light_says_nothing(analyzer, head_frames) -> None:
    assert SpecularSettings().build().score(track_of(head_frames, analyzer)) is None


def test_settings_that_would_let_a_blink_say_attack_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"vision\.pad\.methods\.0\.blink: .*threshold must exceed"):
        load_settings(None, vision={"pad": {"methods": [{"type": "blink", "threshold": 0.3}]}})
    with pytest.raises(ConfigError, match=r"vision\.pad\.methods\.0\.specular\.scale"):
        load_settings(None, vision={"pad": {"methods": [{"type": "specular", "scale": 0}]}})
