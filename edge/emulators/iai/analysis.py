"""AnalyzeFace (90 keypoints) and AnalyzeDenseLandmarks from the face mesh (edge/vision/mesh.py).

Tencent's keypoint models are not available, so each documented group is taken from the 468-point
MediaPipe mesh along the same facial contour: AnalyzeFace resamples each contour evenly (by arc
length) to the documented count (``FaceShape``: FaceProfile 21, each eye 8, each brow 8, Mouth 22,
Nose 13, each pupil 1); AnalyzeDenseLandmarks answers the mesh's own points of each contour (the
SDK's ``DenseFaceShape`` gives no counts, only "up to 888 points"). What cannot match Tencent's
answer (point order, exact positions, the pupils) is listed in docs/iai.md.

Conventions chosen here: Left/Right are the person's (the left eye is on the image's right, as the
detector's keypoints); closed contours start at their leftmost point in the image and run
counter-clockwise as seen (along the lower edge first), as the SDK documents for the mouth; open
contours run from the image's left to its right (the central axis from the forehead down).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edge.emulators.iai import params as p
from edge.emulators.iai.api_error import ApiError
from edge.emulators.iai.service import Service, rect
from edge.vision import mesh as m

Params = dict[str, Any]
Path = tuple[int, ...]
MAX_FACES = 10  # AnalyzeFace: at most 10 faces (documented)
MAX_DENSE_FACES = 5  # AnalyzeDenseLandmarks: at most 5 faces (documented)


def ring(lower: Path, upper: Path, *, shared_corners: bool) -> Path:
    """A closed contour from its lower and upper edges, both given from image left to right:
    the lower edge left to right, then the upper edge back (corners once when shared)."""
    back = upper[::-1][1:-1] if shared_corners else upper[::-1]
    return lower + back


# Open paths, image left to right (the central axis top to bottom), mesh indices.
JAW = (127, 234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361,
       323, 454, 356)  # temple to temple round the chin (the silhouette's lower part)
FOREHEAD = (162, 21, 54, 103, 67, 109, 10, 338, 297, 332, 284, 251, 389)  # the silhouette's upper part
CHIN = (136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365)
CENTRAL_AXIS = (10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 19, 94, 2, 164, 0, 11, 12, 13, 14, 15, 16, 17,
                18, 200, 199, 175, 152)  # the mesh's midline vertices, forehead to chin
NOSE_BRIDGE = (m.MIDWAY_BETWEEN_EYES, 6, 197, 195, 5, 4, m.NOSE_TIP)
NOSE_BASE = (m.NOSE_RIGHT_CORNER, 97, m.NOSE_BOTTOM, 326, m.NOSE_LEFT_CORNER)

# Closed contours (human's meshAnnotations; "right" = the person's right, on the image's left).
RIGHT_EYE = ring(m.RIGHT_EYE_LOWER, m.RIGHT_EYE_UPPER, shared_corners=True)
LEFT_EYE = ring(m.LEFT_EYE_LOWER[::-1], m.LEFT_EYE_UPPER[::-1], shared_corners=True)
RIGHT_BROW = ring(m.RIGHT_EYEBROW_LOWER, m.RIGHT_EYEBROW_UPPER, shared_corners=False)
LEFT_BROW = ring(m.LEFT_EYEBROW_LOWER[::-1], m.LEFT_EYEBROW_UPPER[::-1], shared_corners=False)
MOUTH_OUTSIDE = ring(m.LIPS_LOWER_OUTER, m.LIPS_UPPER_OUTER, shared_corners=True)
MOUTH_INSIDE = ring(m.LIPS_LOWER_INNER, m.LIPS_UPPER_INNER, shared_corners=True)
RIGHT_EYE_BAG = ring((226, 31, 228, 229, 230, 231, 232, 233, 244),  # rightEyeLower2 (lower edge)
                     (130, 25, 110, 24, 23, 22, 26, 112, 243), shared_corners=False)  # rightEyeLower1
LEFT_EYE_BAG = ring((464, 453, 452, 451, 450, 449, 448, 261, 446),  # leftEyeLower2, left to right
                    (463, 341, 256, 252, 253, 254, 339, 255, 359), shared_corners=False)  # leftEyeLower1

# AnalyzeFace: (field, contour, closed, documented count); the mouth is its outer lip line (12
# points) then its inner one (10): the SDK gives 22 "mouth contour" points without a split.
FACE_SHAPE: tuple[tuple[str, tuple[tuple[Path, bool, int], ...]], ...] = (
    ("FaceProfile", ((JAW, False, 21),)),
    ("LeftEye", ((LEFT_EYE, True, 8),)),
    ("RightEye", ((RIGHT_EYE, True, 8),)),
    ("LeftEyeBrow", ((LEFT_BROW, True, 8),)),
    ("RightEyeBrow", ((RIGHT_BROW, True, 8),)),
    ("Mouth", ((MOUTH_OUTSIDE, True, 12), (MOUTH_INSIDE, True, 10))),
    ("Nose", ((NOSE_BRIDGE, False, 7), (NOSE_BASE, False, 6))),
)
DENSE_SHAPE: tuple[tuple[str, Path], ...] = (
    ("LeftEye", LEFT_EYE), ("RightEye", RIGHT_EYE), ("LeftEyeBrow", LEFT_BROW), ("RightEyeBrow", RIGHT_BROW),
    ("MouthOutside", MOUTH_OUTSIDE), ("MouthInside", MOUTH_INSIDE), ("Nose", NOSE_BRIDGE + NOSE_BASE),
    ("CentralAxis", CENTRAL_AXIS), ("Chin", CHIN), ("LeftEyeBags", LEFT_EYE_BAG),
    ("RightEyeBags", RIGHT_EYE_BAG), ("Forehead", FOREHEAD),
)


def resample(points: np.ndarray, count: int, *, closed: bool) -> np.ndarray:
    """``count`` points spaced evenly by arc length along the polyline ``points`` (N, 2); a closed
    one from its first point round to it, an open one from its first point to its last."""
    path = np.vstack([points, points[:1]]) if closed else points
    along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    stops = np.linspace(0.0, along[-1], count, endpoint=not closed)
    return np.stack([np.interp(stops, along, path[:, k]) for k in (0, 1)], axis=1)


def _points(xy: np.ndarray) -> list[dict[str, int]]:
    return [{"X": round(float(x)), "Y": round(float(y))} for x, y in xy]


def _pupil(points: np.ndarray, eye: Path) -> list[dict[str, int]]:
    """The eye contour's centroid: the mesh has no iris points (an approximation of the pupil)."""
    return _points(points[list(eye), :2].mean(axis=0, keepdims=True))


def face_shape(points: np.ndarray) -> Params:
    """``FaceShape`` (90 points) from a (468, 3) mesh in frame pixels."""
    shape: Params = {
        field: _points(np.vstack([resample(points[list(path), :2], count, closed=closed)
                                  for path, closed, count in parts]))
        for field, parts in FACE_SHAPE
    }
    return {**shape, "LeftPupil": _pupil(points, LEFT_EYE), "RightPupil": _pupil(points, RIGHT_EYE)}


def dense_face_shape(points: np.ndarray) -> Params:
    """``DenseFaceShape`` without the face rectangle: the mesh's own points of each contour."""
    shape: Params = {field: _points(points[list(path), :2]) for field, path in DENSE_SHAPE}
    return {**shape, "LeftPupil": _pupil(points, LEFT_EYE), "RightPupil": _pupil(points, RIGHT_EYE)}


def _meshed_faces(svc: Service, params: Params, max_faces: int
                  ) -> tuple[np.ndarray, list[tuple[Params, np.ndarray]]]:
    """The image and, per face (largest first; only the largest with ``Mode`` 1), its rectangle
    and mesh; faces the mesh does not confirm (presence < 0.2) are dropped, as the library does."""
    mode = p.integer(params, "Mode", 0, 0, 1)
    p.integer(params, "NeedRotateDetection", 0, 0, 1)  # accepted; not emulated (docs/iai.md)
    image = svc.image(params)
    faces = svc.faces(image, max_faces=1 if mode == 1 else max_faces)
    meshes = svc.mesh.landmarks(image, [f.detection for f in faces])
    found = [(rect(f.detection.box), mesh.points)
             for f, mesh in zip(faces, meshes) if mesh.score >= m.MIN_PRESENCE]
    if not found:
        raise ApiError("InvalidParameterValue.NoFaceInPhoto", "There is no face in the image.")
    return image, found


def analyze_face(svc: Service, params: Params) -> Params:
    version = p.model_version(params)
    image, found = _meshed_faces(svc, params, MAX_FACES)
    height, width = image.shape[:2]
    return {"ImageWidth": width, "ImageHeight": height, "FaceModelVersion": version,
            "FaceShapeSet": [face_shape(points) for _, points in found]}


def analyze_dense_landmarks(svc: Service, params: Params) -> Params:
    version = p.model_version(params)
    p.require_v3(version, "Dense landmarks")
    image, found = _meshed_faces(svc, params, MAX_DENSE_FACES)
    height, width = image.shape[:2]
    return {"ImageWidth": width, "ImageHeight": height, "FaceModelVersion": version,
            "DenseFaceShapeSet": [{**box, **dense_face_shape(points)} for box, points in found]}
