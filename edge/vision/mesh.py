"""Dense face landmarks: MediaPipe Face Mesh (``models/facemesh``), 468 points per detected face.

Not part of the door's per-frame loop (nothing in ``edge run`` builds a :class:`FaceMesh`): only
what needs dense landmarks loads the 1.2 MB model and its session.

Crop and mapping follow ``@vladmandic/human`` 3.3.6, whose TF.js model file this is
(``src/face/blazeface.ts`` ``getBoxes``, ``src/face/facemeshutil.ts`` ``enlargeBox``,
``squarifyBox``, ``cutAndResize``, ``transformRawCoords``; defaults in ``src/config.ts``):
the detector's box enlarged 1.4x about its centre (``face.detector.scale``) and made square on
its longer side, resized bilinearly to 192x192 (zero outside the frame), RGB / 255, no roll
correction (``face.detector.rotation = false``). The model answers 468 x (x, y, z) in crop pixels
(0..192 spans the crop) and a face-presence sigmoid; ``x_frame = x0 + x * side / 192``.
Unlike the library, coordinates are not truncated to whole pixels, and z is scaled like x.

Point order is MediaPipe's canonical face mesh; the named contours below are the library's
``meshAnnotations`` (``src/face/facemeshcoords.ts``), each upper/lower pair running corner to
corner (the library's full lip lists, which it keeps commented out; the eye corners 33/133 and
263/362 added to its upper eyelids). "Right" is the person's right, on the image's left, as for
the detector's keypoints.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import onnxruntime as ort

from edge.errors import ModelError
from edge.vision.config import VisionSettings
from edge.vision.models import create_session, verified_model
from edge.vision.pipeline import as_bgr
from edge.vision.types import Box, Detection

MODEL = "facemesh"
SIZE = 192  # square model input, pixels
MARGIN = 1.4  # crop side / detector box side (human: config.face.detector.scale)
POINTS = 468
MIN_PRESENCE = 0.2  # human drops a mesh whose face-presence score is below its minConfidence (0.2)

# Contours of the canonical mesh (indices into the 468 points), from human's meshAnnotations.
SILHOUETTE = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
              377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
LIPS_UPPER_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIPS_LOWER_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIPS_UPPER_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIPS_LOWER_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
RIGHT_EYE_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
RIGHT_EYE_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
LEFT_EYE_UPPER = (263, 466, 388, 387, 386, 385, 384, 398, 362)
LEFT_EYE_LOWER = (263, 249, 390, 373, 374, 380, 381, 382, 362)
RIGHT_EYEBROW_UPPER = (156, 70, 63, 105, 66, 107, 55, 193)
RIGHT_EYEBROW_LOWER = (35, 124, 46, 53, 52, 65)
LEFT_EYEBROW_UPPER = (383, 300, 293, 334, 296, 336, 285, 417)
LEFT_EYEBROW_LOWER = (265, 353, 276, 283, 282, 295)
MIDWAY_BETWEEN_EYES, NOSE_TIP, NOSE_BOTTOM, NOSE_RIGHT_CORNER, NOSE_LEFT_CORNER = 168, 1, 2, 98, 327


@dataclass(frozen=True)
class Mesh:
    """The landmarks of one face."""

    points: np.ndarray  # (468, 3) float32: x, y frame pixels; z relative depth in x's scale, smaller = nearer
    score: float  # face presence in the crop, 0..1 (the library drops meshes below 0.2)


def crop_square(box: Box, margin: float = MARGIN) -> tuple[float, float, float]:
    """(x0, y0, side) of the model's square crop around a detector box, frame pixels."""
    side = max(box.w, box.h) * margin
    return box.x + box.w / 2 - side / 2, box.y + box.h / 2 - side / 2, side


def _to_crop(x0: float, y0: float, side: float) -> np.ndarray:
    """2x3 affine from frame to crop pixel indices (pixel centres at .5 of the continuous frame)."""
    s = SIZE / side
    return np.array([[s, 0, (0.5 - x0) * s - 0.5], [0, s, (0.5 - y0) * s - 0.5]], np.float64)


class FaceMesh:
    """468 landmarks for detected faces. Safe to call from several threads."""

    def __init__(self, session: ort.InferenceSession) -> None:
        self.session = session
        names = {o.name for o in session.get_outputs()}
        inputs = session.get_inputs()
        if len(inputs) != 1 or list(inputs[0].shape[1:]) != [SIZE, SIZE, 3] or \
                not {"output_mesh", "output_faceflag"} <= names:
            raise ModelError(f"{MODEL}: not the face mesh expected (inputs {[i.shape for i in inputs]}, "
                             f"outputs {sorted(names)})")
        self.input_name = inputs[0].name

    @classmethod
    def shipped(cls, settings: VisionSettings) -> FaceMesh:
        """The model from ``settings.models_dir``, checked against the manifest."""
        path = verified_model(settings.models_dir, MODEL)
        return cls(create_session(path, settings.threads, settings.providers))

    def landmarks(self, image: np.ndarray, detections: list[Detection]) -> list[Mesh]:
        """One :class:`Mesh` per detection of the BGR (or grey) ``image``, in one batch."""
        if not detections:
            return []
        image = as_bgr(image)
        squares = [crop_square(d.box) for d in detections]
        crops = np.stack([
            cv2.warpAffine(image, _to_crop(*sq), (SIZE, SIZE), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
            for sq in squares
        ])
        batch = crops[:, :, :, ::-1].astype(np.float32) * np.float32(1 / 255)
        raw, presence = self.session.run(["output_mesh", "output_faceflag"], {self.input_name: batch})
        meshes = []
        for (x0, y0, side), flat, score in zip(squares, raw, presence[:, 0]):
            points = flat.reshape(POINTS, 3) * np.float32(side / SIZE)
            points[:, 0] += x0
            points[:, 1] += y0
            meshes.append(Mesh(points.astype(np.float32), float(score)))
        return meshes

