"""Weak single-frame liveness signals from the ``liveness`` and ``antispoof`` models.

Both look at the face box only. They are signals, not a defence: see docs/vision.md for what
they were measured to be worth. Nothing here should gate a door on its own.
"""

from __future__ import annotations

import cv2
import numpy as np
import onnxruntime as ort

from edge.vision.types import Detection, Liveness

LIVENESS_SIZE, ANTISPOOF_SIZE = 32, 128


def face_crop(image: np.ndarray, detection: Detection, size: int) -> np.ndarray:
    """The square around the face box, resized to ``size`` (edges replicated past the frame), RGB."""
    box = detection.box
    side = max(box.w, box.h)
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    scale = size / side
    matrix = np.array([[scale, 0, size / 2 - cx * scale], [0, scale, size / 2 - cy * scale]])
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    crop = cv2.warpAffine(image, matrix, (size, size), flags=interpolation, borderMode=cv2.BORDER_REPLICATE)
    return crop[:, :, ::-1]


class LivenessSignals:
    """Scores every face with both models (batched); higher = more likely a live face."""

    def __init__(self, liveness: ort.InferenceSession, antispoof: ort.InferenceSession) -> None:
        self.liveness = liveness
        self.antispoof = antispoof

    @staticmethod
    def _run(session: ort.InferenceSession, crops: list[np.ndarray]) -> np.ndarray:
        batch = np.stack(crops).astype(np.float32) * np.float32(1 / 255)
        (out,) = session.run(None, {session.get_inputs()[0].name: batch})
        return out

    def score(self, image: np.ndarray, detections: list[Detection]) -> list[Liveness]:
        if not detections:
            return []
        live = self._run(self.liveness, [face_crop(image, d, LIVENESS_SIZE) for d in detections])[:, 0]
        real = self._run(self.antispoof, [face_crop(image, d, ANTISPOOF_SIZE) for d in detections])[:, 0]
        return [Liveness(round(float(a), 4), round(float(b), 4)) for a, b in zip(live, real)]
