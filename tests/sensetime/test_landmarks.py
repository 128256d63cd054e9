"""``landmarks21`` from the face mesh, over HTTP on loopback with the real models and fixture faces:
points where the layout read from real answers puts them (docs/sensetime.md, "Landmarks"), eye
centres on the detector's eyes, strings from ``/info/*``, and state written before them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest

from edge.emulators.sensetime.engine import VisionEngine
from edge.emulators.sensetime.service import face_json
from edge.emulators.sensetime.store import SCHEMA, Store
from edge.emulators.sqlite_state import SqliteState
from edge.identify.sensetime.client import SenseTimeClient
from edge.vision.types import LEFT_EYE, RIGHT_EYE
from tests.sensetime.conftest import API_ID, API_SECRET, FACES, Emulator

CREDENTIALS = {"api_id": API_ID, "api_secret": API_SECRET}
RECT = {"left": 1, "top": 2, "right": 3, "bottom": 4}
PHOTOS = sorted(f"{path.parent.name}/{path.stem}" for path in FACES.glob("*/*.jpg"))
BROWS, CORNERS, NOSE_BASE, MIDLINE, EYES, TIP, MOUTH_CORNERS = (
    [0, 1, 2, 3, 4, 5], [6, 7, 8, 9], [10, 11, 12], [13, 14, 15], [16, 17], 18, [19, 20])


def face_frame(points: np.ndarray) -> np.ndarray:
    """(21, 2) points turned about the eyes' midpoint so that the eye centres (16, 17) lie on a
    horizontal line, right eye on the left (the face's frame; image y still grows downwards)."""
    dx, dy = points[17] - points[16]
    angle = np.arctan2(dy, dx)
    turn = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
    return (points - (points[16] + points[17]) / 2) @ turn.T


def detect(emulator: Emulator, name: str) -> dict[str, Any]:
    answer = httpx.post(f"{emulator.url}/face/detection", data=CREDENTIALS,
                        files={"file": (f"{name}.jpg", (FACES / f"{name}.jpg").read_bytes())}, timeout=30)
    assert answer.status_code == 200, answer.text
    (face,) = answer.json()["faces"]
    return dict(face)


@pytest.mark.parametrize("name", PHOTOS)
def test_the_21_points_lie_where_the_layout_puts_them(emulator: Emulator, engine: VisionEngine,
                                                      name: str) -> None:
    face = detect(emulator, name)
    points = face["landmarks21"]
    assert len(points) == 21 and all(len(p) == 2 and all(isinstance(v, float) for v in p) for p in points)
    p = np.array(points)
    x, y = face_frame(p).T
    (seen,) = engine.faces(cv2.imread(str(FACES / f"{name}.jpg")))
    detector_eyes = np.array([seen.keypoints[RIGHT_EYE], seen.keypoints[LEFT_EYE]])
    eye_dist = face["eye_dist"]
    # Eye centres (16 right, 17 left) on the detector's eyes, and eye_dist their distance, as in real answers.
    assert np.linalg.norm(p[EYES] - detector_eyes, axis=1).max() < 0.15 * eye_dist
    assert abs(np.linalg.norm(p[17] - p[16]) - eye_dist) < 0.15 * eye_dist
    # In the face's frame (eye line level), left to right: brows, eye corners around the eye
    # centres, nose base, mouth.
    assert list(np.argsort(x[BROWS])) == list(range(6))
    assert list(np.argsort(x[[6, 16, 7, 8, 17, 9]])) == list(range(6))
    assert x[10] < x[11] < x[12] and x[19] < x[MIDLINE].min() <= x[MIDLINE].max() < x[20]
    # Top to bottom: brows, eyes, nose tip, nose base, lips (upper top, centre, lower bottom).
    assert y[BROWS].max() < y[CORNERS + EYES].min()
    assert y[CORNERS + EYES].max() < y[TIP] < y[NOSE_BASE].max() < y[13] < y[14] < y[15]
    assert y[NOSE_BASE].max() < y[MOUTH_CORNERS].min() and y[MOUTH_CORNERS].max() < y[15]  # smiles lift them
    # Inside the face: every point within the detector's box grown by a quarter.
    box = seen.box
    assert (p[:, 0] > box.x - box.w / 4).all() and (p[:, 0] < box.x + box.w * 5 / 4).all()
    assert (p[:, 1] > box.y - box.h / 4).all() and (p[:, 1] < box.y + box.h * 5 / 4).all()


def test_info_endpoints_give_the_same_points_as_strings(emulator: Emulator) -> None:
    face = detect(emulator, "Joe_Biden/2")
    as_text = [[str(v) for v in xy] for xy in face["landmarks21"]]
    info = httpx.get(f"{emulator.url}/info/face", params={**CREDENTIALS, "face_id": face["face_id"]}).json()
    assert info["landmarks21"] == as_text
    image = httpx.get(f"{emulator.url}/info/image",
                      params={**CREDENTIALS, "image_id": info["image_id"], "with_faces": 1}).json()
    assert image["faces"][0]["landmarks21"] == as_text


def test_the_client_reads_the_points(client: SenseTimeClient) -> None:
    (face,) = client.detect((FACES / "Eileen_Collins/1.jpg").read_bytes()).faces
    assert len(face.landmarks) == 21
    (again,) = client.info_image(client.info_face(face.face_id).image_id, with_faces=True).faces
    assert again.landmarks == face.landmarks  # read back from strings, exactly


def test_faces_stored_before_the_points_answer_without_them(tmp_path: Path) -> None:
    """A data folder of the emulator before landmarks21 (schema version 1) opens, keeps its face
    and shows it without points rather than invented ones."""
    path = tmp_path / "sensetime.db"
    old = SqliteState(path, SCHEMA, "sensetime emulator")
    with old.transaction() as db:
        db.execute("INSERT INTO faces VALUES ('f', 'i', ?, 40.0, '[]', ?, 0.0, NULL)",
                   (json.dumps(RECT), np.zeros(4, np.float32).tobytes()))
    old.close()
    store = Store(path)
    try:
        face = store.face("f")
        assert face is not None and face.eye_dist == 40.0 and face.landmarks21 is None
        assert "landmarks21" not in face_json(face) and "landmarks21" not in face_json(face, info=True)
        points = [[1.5, 2.5]] * 21
        added = store.face(store.add_face("i", RECT, 40.0, [], np.zeros(4, np.float32), 1.0, points))
        assert added is not None and added.landmarks21 == points
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
