"""AnalyzeFace and AnalyzeDenseLandmarks through the official SDK, unmodified, over loopback: the
documented groups and counts, and points that lie on the face where the detector saw its parts."""

from __future__ import annotations

import numpy as np
import pytest
from tencentcloud.iai.v20200303.iai_client import IaiClient

from edge.emulators.iai.analysis import resample
from edge.vision.image_io import decode_image
from edge.vision.pipeline import FaceAnalyzer
from edge.vision.types import LEFT_EYE, MOUTH, NOSE, RIGHT_EYE
from tests.iai.conftest import b64, call, error_code, jpeg, photo, side_by_side

OBAMA, BIDEN = "Barack_Obama", "Joe_Biden"
FACE_SHAPE = {"FaceProfile": 21, "LeftEye": 8, "RightEye": 8, "LeftEyeBrow": 8, "RightEyeBrow": 8,
              "Mouth": 22, "Nose": 13, "LeftPupil": 1, "RightPupil": 1}  # the SDK's FaceShape, 90 points
DENSE_GROUPS = ("LeftEye", "RightEye", "LeftEyeBrow", "RightEyeBrow", "MouthOutside", "MouthInside", "Nose",
                "LeftPupil", "RightPupil", "CentralAxis", "Chin", "LeftEyeBags", "RightEyeBags", "Forehead")
# a group's centre from the detector's keypoint, in inter-ocular distances (measured <= 0.1 here)
TOL = 0.15


def xy(points: list) -> np.ndarray:
    return np.array([[q.X, q.Y] for q in points], float)


@pytest.mark.parametrize("name", [f"{OBAMA}/1", f"{OBAMA}/3", f"{BIDEN}/2"])
def test_analyze_face_answers_the_90_points_on_the_face(client: IaiClient, analyzer: FaceAnalyzer,
                                                        name: str) -> None:
    data = photo(name)
    answer = call(client, "AnalyzeFace", Image=b64(data))
    (shape,) = answer.FaceShapeSet
    assert {field: len(getattr(shape, field)) for field in FACE_SHAPE} == FACE_SHAPE
    assert answer.FaceModelVersion == "3.0"

    (face,) = analyzer.detect(decode_image(data, max_pixels=10**8))[:1]
    keypoints = face.keypoints
    iod = float(np.linalg.norm(keypoints[LEFT_EYE] - keypoints[RIGHT_EYE]))

    def off(points: list, keypoint: int) -> float:
        return float(np.linalg.norm(xy(points).mean(axis=0) - keypoints[keypoint])) / iod

    # Left/Right are the person's: the left eye is on the image's right, as the detector's
    assert off(shape.LeftPupil, LEFT_EYE) < TOL and off(shape.RightPupil, RIGHT_EYE) < TOL
    assert off(shape.LeftEye, LEFT_EYE) < TOL and off(shape.RightEye, RIGHT_EYE) < TOL
    assert off(shape.Mouth, MOUTH) < TOL and off(shape.Nose, NOSE) < 2 * TOL
    brows, eyes = xy(shape.LeftEyeBrow + shape.RightEyeBrow), xy(shape.LeftEye + shape.RightEye)
    assert brows[:, 1].mean() < eyes[:, 1].mean()  # brows above the eyes
    profile = xy(shape.FaceProfile)  # temple to temple round the chin, image left to right
    assert profile[0, 0] < keypoints[RIGHT_EYE, 0] and profile[-1, 0] > keypoints[LEFT_EYE, 0]
    assert profile[:, 1].max() > keypoints[MOUTH, 1] + 0.3 * iod  # the chin below the mouth


def test_analyze_dense_landmarks_answers_every_documented_group(client: IaiClient) -> None:
    data = b64(photo(f"{OBAMA}/1"))
    dense = call(client, "AnalyzeDenseLandmarks", Image=data)
    (shape,) = dense.DenseFaceShapeSet
    assert all(len(getattr(shape, group)) >= 1 for group in DENSE_GROUPS)
    detected = call(client, "DetectFace", Image=data).FaceInfos[0]
    assert (shape.X, shape.Y, shape.Width, shape.Height) == (detected.X, detected.Y, detected.Width,
                                                             detected.Height)
    # the mouth contours start at their left corner and run counter-clockwise as seen (lower lip first)
    for contour in (xy(shape.MouthOutside), xy(shape.MouthInside)):
        assert contour[0, 0] == contour[:, 0].min()
        assert contour[1, 1] > contour[0, 1]
        x, y = contour[:, 0], contour[:, 1]
        assert np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y) < 0  # shoelace, y down
    axis = xy(shape.CentralAxis)
    assert np.all(np.diff(axis[:, 1]) >= 0)  # forehead down to the chin
    assert xy(shape.Forehead)[:, 1].mean() < xy(shape.LeftEyeBrow + shape.RightEyeBrow)[:, 1].min()


def test_mode_1_answers_the_largest_face_and_mode_0_every_face(client: IaiClient) -> None:
    frame = b64(jpeg(side_by_side(f"{BIDEN}/2", f"{OBAMA}/4")))
    every = call(client, "AnalyzeFace", Image=frame).FaceShapeSet
    largest = call(client, "AnalyzeFace", Image=frame, Mode=1).FaceShapeSet
    assert len(every) == 2 and len(largest) == 1
    assert xy(largest[0].FaceProfile).tolist() == xy(every[0].FaceProfile).tolist()
    assert len(call(client, "AnalyzeDenseLandmarks", Image=frame).DenseFaceShapeSet) == 2


def test_dense_landmarks_are_for_model_3_only_and_faceless_photos_are_refused(client: IaiClient) -> None:
    data = b64(photo(f"{OBAMA}/1"))
    assert error_code(client, "AnalyzeDenseLandmarks", Image=data, FaceModelVersion="2.0") == (
        "InvalidParameterValue.FaceModelVersionIllegal"
    )
    assert call(client, "AnalyzeFace", Image=data, FaceModelVersion="2.0").FaceModelVersion == "2.0"
    blank = b64(jpeg(np.full((240, 320, 3), 128, np.uint8)))
    assert error_code(client, "AnalyzeFace", Image=blank) == "InvalidParameterValue.NoFaceInPhoto"


def test_resample_spaces_points_evenly_along_open_and_closed_paths() -> None:
    square = np.array([[0, 0], [0, 2], [2, 2], [2, 0]], float)
    np.testing.assert_allclose(resample(square, 4, closed=True), square)
    np.testing.assert_allclose(resample(square, 8, closed=True)[1], [0, 1])
    np.testing.assert_allclose(resample(square, 3, closed=False), [[0, 0], [1, 2], [2, 0]])
