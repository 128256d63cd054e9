"""The PAD stage and its methods on synthetic tracks (real detector, real optical flow)."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.capture.config import CameraSettings
from edge.capture.sensors import Sensors, depth_metres
from edge.config.settings import load_settings
from edge.errors import ConfigError, UserError
from edge.vision.pad.base import PadFrame, PadScore
from edge.vision.pad.config import PadSettings
from edge.vision.pad.depth import DepthSettings, plane_relief
from edge.vision.pad.edges import PrintFrameSettings, side_distances
from edge.vision.pad.infrared import InfraredSettings
from edge.vision.pad.memo import FrameMemo
from edge.vision.pad.motion import RigidMotionSettings
from edge.vision.pad.stage import PadStage, fuse
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Box, Detection
from tests.conftest import FIXTURES
from tests.support.print_attack import print_attack_clip, room_background

PHOTO = FIXTURES / "faces" / "Barack_Obama" / "1.jpg"
SIZE = (320, 240)


@pytest.fixture(scope="module")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer(load_settings(None).vision)


def track_of(images: list[np.ndarray], analyzer: FaceAnalyzer) -> list[PadFrame]:
    frames = []
    for k, image in enumerate(images):
        detections = analyzer.detect(image)
        assert detections, f"no face in frame {k}"
        frames.append(PadFrame(k / 10, image, detections[0]))
    return frames


def head_moving_before_a_wall(photo: np.ndarray, analyzer: FaceAnalyzer, frames: int,
                              step_px: float) -> list[np.ndarray]:
    """A head (the photo's face cut out as an ellipse hugging the face) moving across a static
    room: the background stays where it is, as behind a live person."""
    background = room_background(SIZE, np.random.default_rng(1))
    scale = 150 / photo.shape[0]
    head = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    box = analyzer.detect(head)[0].box
    mask = np.zeros(head.shape[:2], np.uint8)
    centre = (int(box.x + box.w / 2), int(box.y + box.h / 2))
    cv2.ellipse(mask, centre, (int(box.w * 0.5), int(box.h * 0.6)), 0, 0, 360, 255, -1)
    h, w = head.shape[:2]
    out = []
    for k in range(frames):
        frame = background.copy()
        x, y = int(40 + k * step_px), 40
        region = frame[y:y + h, x:x + w]
        region[mask > 0] = head[mask > 0]
        out.append(frame)
    return out


def test_printed_photo_moves_as_one_plane(analyzer) -> None:
    photo = cv2.imread(str(PHOTO))
    track = track_of(print_attack_clip(photo, frames=8, size=SIZE, seed=1), analyzer)
    score = RigidMotionSettings().build().score(track)
    assert score is not None and score.is_attack, score
    assert score.details["ring_follows"] > 0.8 and score.frames_used >= 2


def test_head_before_a_static_background_is_not_one_plane(analyzer) -> None:
    track = track_of(head_moving_before_a_wall(cv2.imread(str(PHOTO)), analyzer, 8, 3.0), analyzer)
    score = RigidMotionSettings().build().score(track)
    assert score is not None and not score.is_attack, score


def test_no_motion_says_nothing(analyzer) -> None:
    image = print_attack_clip(cv2.imread(str(PHOTO)), frames=1, size=SIZE)[0]
    track = track_of([image] * 6, analyzer)
    assert RigidMotionSettings().build().score(track) is None


def test_paper_edges_keep_their_distance_to_the_face(analyzer) -> None:
    """A print whose border is in view within a face width of the face on three sides (on small
    faces, 40 px here, not every simulated print is: the method needs the border in view)."""
    photo = cv2.imread(str(FIXTURES / "faces" / "Joe_Biden" / "2.jpg"))
    track = track_of(print_attack_clip(photo, frames=8, size=SIZE, seed=1), analyzer)
    assert len(side_distances(track[0], 1.0)) >= 3
    score = PrintFrameSettings().build().score(track)
    assert score is not None and score.is_attack, score


def test_background_edges_do_not_follow_a_moving_head(analyzer) -> None:
    frames = head_moving_before_a_wall(cv2.imread(str(PHOTO)), analyzer, 8, 3.0)
    score = PrintFrameSettings().build().score(track_of(frames, analyzer))
    assert score is not None and not score.is_attack, score


# -- the stage ------------------------------------------------------------------------------
class Fixed:
    """A method with a scripted answer (the stage's fusion is under test, not a method)."""

    window = 1

    def __init__(self, name: str, attack: float | None, threshold: float = 0.5) -> None:
        self.name, self.attack, self.threshold = name, attack, threshold

    def digest(self, frame):
        return None

    def score(self, track):
        return None if self.attack is None else PadScore(self.name, self.attack, self.threshold, len(track))


FRAME = PadFrame(0.0, np.zeros((8, 8, 3), np.uint8), Detection(Box(0, 0, 4, 4), 0.9, np.zeros((6, 2))))


def test_fusion_rules() -> None:
    scores = [PadScore("a", 0.9, 0.5, 3), PadScore("b", 0.2, 0.6, 3)]
    assert fuse(scores, "any") == pytest.approx(0.4)
    assert fuse(scores, "all") == pytest.approx(-0.4)
    assert fuse(scores, "mean") == pytest.approx(0.0)


def test_stage_waits_for_frames_then_judges_and_an_attack_is_final() -> None:
    method = Fixed("m", 0.9)
    stage = PadStage(PadSettings(min_frames=3, max_frames=5), [method])
    assert [stage.observe(1, FRAME).outcome for _ in range(2)] == ["undecided", "undecided"]
    assert stage.observe(1, FRAME).outcome == "attack"
    method.attack = 0.0
    assert stage.observe(1, FRAME).outcome == "attack"
    stage.forget(set())
    assert stage.observe(1, FRAME).outcome == "undecided"


def test_stage_stays_undecided_while_no_method_decides_and_uses_the_site_offset() -> None:
    stage = PadStage(PadSettings(min_frames=2, max_frames=3), [Fixed("m", None)])
    assert {stage.observe(1, FRAME).outcome for _ in range(6)} == {"undecided"}
    strict = PadStage(PadSettings(min_frames=2), [Fixed("m", 0.4)], offset=-0.2)
    loose = PadStage(PadSettings(min_frames=2), [Fixed("m", 0.4)])
    assert strict.judge([FRAME] * 2).outcome == "attack"
    assert loose.judge([FRAME] * 2).outcome == "bona_fide"


# -- hardware methods -----------------------------------------------------------------------
FACE_BOX = Box(100, 60, 100, 120)


def colour_face() -> np.ndarray:
    image = np.full((240, 320, 3), 60, np.uint8)
    cv2.ellipse(image, (150, 120), (45, 58), 0, 0, 360, (150, 170, 200), -1)
    for eye in ((132, 105), (168, 105)):
        cv2.circle(image, eye, 7, (30, 30, 30), -1)
    cv2.line(image, (135, 150), (165, 150), (40, 40, 90), 4)
    return image


def hardware_frame(ir: np.ndarray | None = None, depth: np.ndarray | None = None) -> PadFrame:
    return PadFrame(0.0, colour_face(), Detection(FACE_BOX, 0.9, np.zeros((6, 2), np.float32)), ir, depth)


def test_infrared_passes_a_lit_face_and_fails_a_dark_screen_and_a_missing_camera() -> None:
    method = InfraredSettings().build()
    skin = cv2.cvtColor(colour_face(), cv2.COLOR_BGR2GRAY) // 2 + 60  # bright under NIR, same features
    screen = np.full((240, 320), 8, np.uint8)
    live = method.score([hardware_frame(ir=skin)] * 3)
    assert live is not None and not live.is_attack and live.details["ir_structure"] > 0.9
    dark = method.score([hardware_frame(ir=screen)] * 3)
    assert dark is not None and dark.is_attack
    lost = method.score([hardware_frame()] * 3)
    assert lost is not None and lost.is_attack and lost.details["sensor_frames"] == 0


def face_depth(relief_mm: float, noise_mm: float = 1.0) -> np.ndarray:
    """Metres: a plane tilted across the frame at ~0.6 m with a Gaussian nose-and-cheek bump."""
    ys, xs = np.mgrid[0:240, 0:320].astype(np.float32)
    plane = 0.6 + 0.0002 * xs
    bump = np.exp(-(((xs - 150) / 30) ** 2 + ((ys - 120) / 40) ** 2))
    noise = np.random.default_rng(0).normal(0, noise_mm / 1000, plane.shape)
    return (plane - relief_mm / 1000 * bump + noise).astype(np.float32)


def test_depth_passes_a_face_and_fails_a_flat_print_and_a_missing_camera() -> None:
    method = DepthSettings().build()
    live = method.score([hardware_frame(depth=face_depth(30))] * 3)
    assert live is not None and not live.is_attack and live.details["relief_mm"] > 4
    flat = method.score([hardware_frame(depth=face_depth(0))] * 3)
    assert flat is not None and flat.is_attack and flat.details["relief_mm"] < 2
    holes = method.score([hardware_frame(depth=np.zeros((240, 320), np.float32))] * 3)
    assert holes is not None and holes.is_attack
    lost = method.score([hardware_frame()] * 3)
    assert lost is not None and lost.is_attack


def test_plane_relief_is_zero_on_a_plane() -> None:
    ys, xs = np.mgrid[0:20, 0:30].astype(np.float32)
    relief, valid = plane_relief(1.0 + 0.01 * xs - 0.02 * ys)
    assert relief == pytest.approx(0, abs=1e-6) and valid == 1  # float32 input


# -- settings and sensors -------------------------------------------------------------------
def test_hardware_method_without_its_camera_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="needs camera.ir"):
        load_settings(None, vision={"pad": {"methods": [{"type": "infrared"}]}})
    with pytest.raises(ConfigError, match="needs camera.depth"):
        load_settings(None, vision={"pad": {"methods": [{"type": "rigid_motion"}, {"type": "depth"}]}})
    with pytest.raises(ConfigError, match="unknown|does not match|tag"):
        load_settings(None, vision={"pad": {"methods": [{"type": "crystal_ball"}]}})


def test_missing_ir_camera_is_a_start_up_error(tmp_path: Path) -> None:
    camera = CameraSettings.model_validate(
        {"ir": {"enabled": True, "source": {"type": "folder", "path": str(tmp_path / "no-such-camera")}}})
    with pytest.raises(UserError, match="camera.ir"):
        Sensors.open(camera)


def test_ir_camera_that_dies_gives_no_frame_so_pad_fails_closed(tmp_path: Path) -> None:
    folder = tmp_path / "ir"
    folder.mkdir()
    for k in range(3):
        cv2.imwrite(str(folder / f"{k}.png"), np.full((24, 32), 100, np.uint8))
    sensors = Sensors.open(CameraSettings.model_validate(
        {"ir": {"enabled": True, "source": {"type": "folder", "path": str(folder)}}}))
    try:
        ir, depth = sensors.read()
        assert ir is not None and ir.shape == (24, 32) and depth is None
        folder.rename(tmp_path / "unplugged")
        assert sensors.read() == (None, None)
    finally:
        sensors.close()


def test_depth_levels_become_metres() -> None:
    camera = CameraSettings.model_validate({"depth": {"source": {"type": "folder"}, "near_m": 0.2,
                                                      "unit_m": 0.004}})
    depth = depth_metres(np.array([[0, 1, 100]], np.uint8), camera.depth)
    assert depth[0].tolist() == pytest.approx([0.0, 0.204, 0.6])


def test_memo_does_not_keep_the_frames_a_track_dropped() -> None:
    """A remembered result keeps its frames only while someone else does: each holds its whole
    camera image (6 MB at 1920x1080)."""
    memo: FrameMemo[int] = FrameMemo()
    face = Detection(Box(10, 10, 20, 20), 0.9, np.zeros((6, 2), np.float32))
    frames = [PadFrame(0.0, np.zeros((8, 8, 3), np.uint8), face) for _ in range(2)]
    assert memo.get((frames[0], frames[1]), lambda: 1) == 1
    assert memo.get((frames[0], frames[1]), lambda: 2) == 1  # the same frames: remembered
    dropped = weakref.ref(frames.pop(0))
    gc.collect()
    assert dropped() is None
    fresh = PadFrame(0.0, np.zeros((8, 8, 3), np.uint8), face)  # may reuse the dropped one's id
    assert memo.get((fresh, frames[0]), lambda: 3) == 3
