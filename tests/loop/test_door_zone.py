"""The door zone (issue 17): only the face at the door decides; one behind it or on a poster never.

1280x720 frames composed from the fixture photos: a stranger close to the camera (face 270 px
wide) and an enrolled person's smaller face (160 px) behind him, or on a poster beside the door.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from edge.access.config import AccessSettings, DoorZoneSettings
from edge.access.decision import DecisionEngine, Observation
from edge.access.tracker import Track
from edge.access.zone import ZONE_COLOUR, DoorZone
from edge.gallery.enroll import Enrollment
from edge.gallery.store import GalleryStore
from edge.vision.image_io import read_image
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import Box
from tests.loop.conftest import FACES, SequenceWriter, loop_settings
from tests.loop.test_scenarios import play

WIDTH, HEIGHT = 1280, 720
ENROLLED = FACES / "Barack_Obama" / "3.jpg"  # not one of the enrollment photos
STRANGER = FACES / "Joe_Biden" / "2.jpg"  # not enrolled at this door


@pytest.fixture
def door_gallery(tmp_path: Path, analyzer: FaceAnalyzer) -> Iterator[GalleryStore]:
    """Only Obama is enrolled (and may pass)."""
    store = GalleryStore(tmp_path / "gallery.sqlite")
    enrollment = Enrollment(store, analyzer, loop_settings(tmp_path).gallery)
    accepted, _ = enrollment.examine_files([FACES / "Barack_Obama" / p for p in ("1.jpg", "2.jpg")])
    enrollment.add("obama", "Barack Obama", ["default"], accepted)
    yield store
    store.close()


@cache
def _face_box(photo: Path) -> Box:
    from edge.vision.config import VisionSettings

    (face,) = FaceAnalyzer(VisionSettings()).analyze(read_image(photo, max_pixels=40_000_000), describe=False)
    return face.detection.box


def place(canvas: np.ndarray, photo: Path, face_width: int, centre: tuple[int, int]) -> None:
    """Paste ``photo`` scaled so its face is ``face_width`` px wide, the face centred at ``centre``
    (the photo's surroundings come along, cut at the canvas' edges)."""
    box = _face_box(photo)
    scale = face_width / box.w
    image = cv2.resize(read_image(photo, max_pixels=40_000_000), None, fx=scale, fy=scale,
                       interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    margin = round(0.6 * face_width)
    fx, fy = round((box.x + box.w / 2) * scale), round((box.y + box.h / 2) * scale)
    half = face_width // 2 + margin
    top, left = max(0, fy - half), max(0, fx - half)
    patch = image[top:fy + half, left:fx + half]
    y0, x0 = centre[1] - (fy - top), centre[0] - (fx - left)
    ys, xs = max(0, -y0), max(0, -x0)
    patch = patch[ys:HEIGHT - y0, xs:WIDTH - x0]
    canvas[y0 + ys:y0 + ys + patch.shape[0], x0 + xs:x0 + xs + patch.shape[1]] = patch


def scene(*faces: tuple[Path, int, tuple[int, int]], frames: int = 10) -> list[np.ndarray]:
    """``frames`` 1280x720 frames, the faces pasted smallest first (a nearer face covers)."""
    canvas = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    for photo, width, centre in sorted(faces, key=lambda f: f[1]):
        place(canvas, photo, width, centre)
    return [canvas.copy() for _ in range(frames)]


def test_a_face_behind_the_visitor_does_not_open_the_door(
        tmp_path, analyzer, door_gallery, write_sequence: SequenceWriter) -> None:
    frames = scene((STRANGER, 270, (520, 380)), (ENROLLED, 160, (990, 250)))
    assert len(analyzer.analyze(frames[0], describe=False)) == 2
    outcome = play(frames, write_sequence, tmp_path, analyzer, door_gallery)
    assert sorted(outcome) == [("denied", "outside_door_zone", None), ("denied", "unknown", None)]


def test_a_face_on_a_poster_beside_the_door_does_not_open_it(
        tmp_path, analyzer, door_gallery, write_sequence: SequenceWriter) -> None:
    frames = scene((STRANGER, 270, (640, 380)), (ENROLLED, 160, (110, 300)))
    outcome = play(frames, write_sequence, tmp_path, analyzer, door_gallery)
    assert sorted(outcome) == [("denied", "outside_door_zone", None), ("denied", "unknown", None)]


def test_the_poster_alone_does_not_open_the_door_either(
        tmp_path, analyzer, door_gallery, write_sequence: SequenceWriter) -> None:
    outcome = play(scene((ENROLLED, 160, (110, 300))), write_sequence, tmp_path, analyzer, door_gallery)
    assert outcome == [("denied", "outside_door_zone", None)]


def test_the_enrolled_person_at_the_door_is_granted(
        tmp_path, analyzer, door_gallery, write_sequence: SequenceWriter) -> None:
    outcome = play(scene((ENROLLED, 270, (640, 380))), write_sequence, tmp_path, analyzer, door_gallery)
    assert outcome == [("granted", "recognized", "obama")]


def test_the_enrolled_person_in_front_of_a_stranger_is_granted(
        tmp_path, analyzer, door_gallery, write_sequence: SequenceWriter) -> None:
    frames = scene((ENROLLED, 270, (520, 380)), (STRANGER, 160, (990, 250)))
    outcome = play(frames, write_sequence, tmp_path, analyzer, door_gallery)
    assert sorted(outcome) == [("denied", "outside_door_zone", None), ("granted", "recognized", "obama")]


def test_the_enrolled_person_too_far_away_is_not_granted(
        tmp_path, analyzer, door_gallery, write_sequence: SequenceWriter) -> None:
    outcome = play(scene((ENROLLED, 110, (640, 300))), write_sequence, tmp_path, analyzer, door_gallery)
    assert outcome == [("denied", "outside_door_zone", None)]


# -- the zone itself ---------------------------------------------------------------------------

def test_the_nearest_qualifying_face_decides_and_no_other() -> None:
    zone = DoorZone(DoorZoneSettings())
    near, behind, poster, far = Box(500, 200, 270, 270), Box(800, 150, 160, 160), \
        Box(30, 200, 160, 160), Box(600, 300, 100, 100)
    assert zone.at_door([behind, near, poster, far], WIDTH, HEIGHT) == [False, True, False, False]
    assert zone.at_door([poster, far], WIDTH, HEIGHT) == [False, False]
    assert zone.at_door([behind], WIDTH, HEIGHT) == [True]
    assert zone.at_door([], WIDTH, HEIGHT) == []


def test_a_custom_polygon_and_width() -> None:
    zone = DoorZone(DoorZoneSettings(polygon=[(0.0, 0.0), (0.5, 0.0), (0.0, 1.0)], min_face_width=0.2))
    assert zone.qualifies(Box(40, 40, 260, 260), WIDTH, HEIGHT)  # centre (170, 170): inside the triangle
    assert not zone.qualifies(Box(500, 400, 260, 260), WIDTH, HEIGHT)  # centre beyond the hypotenuse
    assert not zone.qualifies(Box(40, 40, 250, 250), WIDTH, HEIGHT)  # narrower than 0.2 x 1280


@pytest.mark.parametrize("polygon", [[(0, 0), (1, 0)], [(0, 0), (1.2, 0), (1, 1)],
                                     [(0, 0), (0.5, 0.5), (1, 1)]])
def test_a_zone_that_is_no_region_is_a_settings_error(polygon: list[tuple[float, float]]) -> None:
    with pytest.raises(ValidationError, match="door_zone.polygon"):
        AccessSettings.model_validate({"door_zone": {"polygon": polygon}})


def test_the_zone_is_drawn_on_a_frame() -> None:
    frame = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    drawn = DoorZone(DoorZoneSettings()).draw(frame)
    assert drawn is frame
    assert tuple(frame[360, 192]) == ZONE_COLOUR and tuple(frame[360, 1088]) == ZONE_COLOUR  # 0.15, 0.85
    assert not frame[360, 640].any()  # the inside stays as it was


def test_the_console_live_view_draws_the_zone(tmp_path: Path, door_gallery: GalleryStore) -> None:
    from edge.ui.serve import live_view

    view = live_view(loop_settings(tmp_path), door_gallery)
    assert view.zone_overlay is not None
    shown = np.zeros((2 * HEIGHT, 2 * WIDTH, 3), np.uint8)  # a frame shown at twice its size
    view.zone_overlay(shown, 2.0)
    assert tuple(shown[720, 384]) == ZONE_COLOUR and not shown[720, 1280].any()


def test_faces_outside_are_reported_at_most_once_per_interval_and_never_granted() -> None:
    access = AccessSettings(min_frames=1, window_frames=3, unknown_event_interval_s=10)
    engine = DecisionEngine(access, device="d", door="front",
                            directory=Directory({"obama": ("Barack Obama", ["default"])}))
    events = []
    for second in range(30):
        for track_id in (1, 2):  # two posters, each naming an enrolled person on every frame
            track = Track(track_id, Box(0, 0, 100, 100), 0.0, float(second))
            events.append(engine.observe(Observation(float(second), track, track.box, True,
                                                     person_id="obama", at_door=False)))
    said = [(e.decision, e.reason, e.person_id) for e in events if e is not None]
    assert said == [("denied", "outside_door_zone", None)]


class Directory:
    """A PersonDirectory from a dict."""

    def __init__(self, people: dict[str, tuple[str, list[str]]]) -> None:
        self.people = people

    def person(self, person_id: str) -> tuple[str, list[str]] | None:
        return self.people.get(person_id)
