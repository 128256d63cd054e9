"""``landmarks21``: SenseTime's 21 face points, measured with the face mesh (edge/vision/mesh.py).

The seed document's figure of the 21 points is not on the build machines. Their order and meaning
are read from three answers of the real ``/face/detection`` that public user code keeps
(docs/sensetime.md, "Landmarks"): in every one, on the image from left to right, points 0-5 are
the two eyebrows (outer end, middle, inner end of the person's right brow, then inner, middle,
outer of the left), 6-9 the eye corners (outer, inner of the right eye, inner, outer of the
left), 10-12 the nose's base (right wing, bottom centre, left wing), 13-15 the mouth's midline
(top of the upper lip, mouth centre, bottom of the lower lip), 16-17 the eye centres (right, left:
the answer's ``eye_dist`` is their distance), 18 the nose tip and 19-20 the mouth corners (right,
left). "Right" is the person's right, on the image's left.

Each point is the mean of the mesh points with that meaning (MediaPipe's canonical indices,
named in :mod:`edge.vision.mesh`). Approximations: a brow point is taken on the brow's centre
line (midway between the mesh's upper and lower brow edges; the answers do not show which line
SenseTime marks), an eye centre is the centroid of the eye's contour (the mesh has no iris).
"""

from __future__ import annotations

import numpy as np

from edge.vision import mesh as m

Indices = tuple[int, ...]


def _contour(upper: Indices, lower: Indices) -> Indices:
    """The distinct mesh points of an eye's upper and lower lid lines."""
    return tuple(sorted(set(upper) | set(lower)))


# SenseTime point -> the mesh points averaged for it (docstring: meaning of each).
LANDMARKS21: tuple[Indices, ...] = (
    (70, 46), (105, 52), (107, 55),  # right brow: outer end, middle, inner end (upper, lower edge)
    (336, 285), (334, 282), (300, 276),  # left brow: inner end, middle, outer end
    (33,), (133,), (362,), (263,),  # eye corners: right outer, right inner, left inner, left outer
    (m.NOSE_RIGHT_CORNER,), (m.NOSE_BOTTOM,), (m.NOSE_LEFT_CORNER,),  # nose base
    (0,), (13, 14), (17,),  # upper lip top, mouth centre (between the inner lip lines), lower lip bottom
    _contour(m.RIGHT_EYE_UPPER, m.RIGHT_EYE_LOWER), _contour(m.LEFT_EYE_UPPER, m.LEFT_EYE_LOWER),
    (m.NOSE_TIP,),
    (61,), (291,),  # mouth corners: right, left
)


def landmarks21(points: np.ndarray) -> list[list[float]]:
    """The 21 points ``[[x, y], ...]`` in frame pixels (3 decimals) from a (468, 3) mesh."""
    xy = points[:, :2].astype(np.float64)
    return [[round(float(v), 3) for v in xy[list(group)].mean(axis=0)] for group in LANDMARKS21]
