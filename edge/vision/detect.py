"""BlazeFace face detection: letterbox, anchor decoding, blended non-maximum suppression.

Two MediaPipe detectors, same decoding: ``full`` (facemesh-detection-full, 192 px input, one
anchor per cell of a 48x48 grid, stride 4) and ``short`` (blazeface-front, 128 px, strides 8 and
16 with 2 and 6 anchors per cell). Each anchor row holds a score logit, the box centre offset and
size, and six keypoint offsets, all in input pixels.

The full-range model sees the frame through one 192x192 letterbox, so a face narrower than about
6-7% of the long side becomes too small for it. ``tile_grid = n`` adds a second pass on an n x n
grid of overlapping tiles (one batched inference) to reach small faces in large frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import onnxruntime as ort

from edge.errors import ModelError
from edge.vision.types import Box, Detection

TILE_OVERLAP = 0.25  # fraction of a tile shared with its neighbour


@dataclass(frozen=True)
class DetectorSpec:
    model: str  # name in the manifest
    size: int  # square input side, pixels
    layers: tuple[tuple[int, int], ...]  # (stride, anchors per cell) per feature map


FULL_RANGE = DetectorSpec("facemesh-detection-full", 192, ((4, 1),))
SHORT_RANGE = DetectorSpec("blazeface-front", 128, ((8, 2), (16, 6)))
DETECTORS = {"full": FULL_RANGE, "short": SHORT_RANGE}


def anchor_centres(spec: DetectorSpec) -> np.ndarray:
    """(N, 2) anchor centres in input pixels, in the models' order: layer, row, column, anchor."""
    centres = []
    for stride, per_cell in spec.layers:
        cells = spec.size // stride
        ys, xs = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
        centres.append(np.repeat((grid + 0.5) * stride, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


def _iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of boxes (x0, y0, x1, y1): a (N, 4) against b (M, 4)."""
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


def blended_nms(scores: np.ndarray, rows: np.ndarray, iou: float) -> list[tuple[float, np.ndarray]]:
    """MediaPipe's weighted NMS: each kept face is the score-weighted mean of its overlapping rows.

    ``rows`` is (N, 16): box x0, y0, x1, y1 then six keypoints (x, y). Returns (score, row) pairs,
    best first; the score is the best row's score.
    """
    order = np.argsort(-scores)
    scores, rows = scores[order], rows[order]
    kept = []
    remaining = np.ones(len(scores), bool)
    overlaps = _iou_matrix(rows[:, :4], rows[:, :4])
    for i in range(len(scores)):
        if not remaining[i]:
            continue
        group = remaining & (overlaps[i] > iou)
        weights = scores[group][:, None]
        kept.append((float(scores[i]), (rows[group] * weights).sum(axis=0) / weights.sum()))
        remaining &= ~group
    return kept


class BlazeFaceDetector:
    """Finds faces in BGR frames of any size. Safe to call from several threads."""

    def __init__(
        self,
        session: ort.InferenceSession,
        spec: DetectorSpec,
        *,
        score_threshold: float,
        nms_iou: float,
        min_face_px: int,
        tile_grid: int = 0,
    ) -> None:
        self.session = session
        self.spec = spec
        self.score_threshold = score_threshold
        self.nms_iou = nms_iou
        self.min_face_px = min_face_px
        self.tile_grid = tile_grid
        self.anchors = anchor_centres(spec)
        self.input_name = session.get_inputs()[0].name
        self._batched = not isinstance(session.get_inputs()[0].shape[0], int)
        self._check_outputs()

    def _check_outputs(self) -> None:
        probe = np.zeros((1, self.spec.size, self.spec.size, 3), np.float32)
        try:
            shape = self._rows(probe).shape
        except Exception as exc:  # onnxruntime's own error types for a wrong input, or heads missing
            raise ModelError(f"{self.spec.model}: not the detector expected ({exc})") from exc
        if shape != (1, len(self.anchors), 17):
            expected = (1, len(self.anchors), 17)
            raise ModelError(f"{self.spec.model}: outputs {shape}, expected {expected}")

    def _rows(self, batch: np.ndarray) -> np.ndarray:
        """(B, anchors, 17): score logit then 16 regressors, joined across the model's heads."""
        if not self._batched and len(batch) > 1:
            return np.concatenate([self._rows(one[None]) for one in batch])
        outputs = self.session.run(None, {self.input_name: batch})
        if self.spec is FULL_RANGE:
            # the face head; the full-range graph's other head (if kept) detects persons
            names = [o.name for o in self.session.get_outputs()]
            return outputs[names.index("Identity:0")] if "Identity:0" in names else outputs[0]
        by_anchors: dict[int, dict[int, np.ndarray]] = {}
        for out in outputs:
            by_anchors.setdefault(out.shape[1], {})[out.shape[2]] = out
        parts = [
            np.concatenate([heads[1], heads[16]], axis=2)
            for _, heads in sorted(by_anchors.items(), reverse=True)  # the 512-anchor layer first
        ]
        return np.concatenate(parts, axis=1)

    def _letterbox(self, image: np.ndarray) -> tuple[np.ndarray, float, float]:
        """RGB [-1, 1] input of the model, and the x/y factors from input back to image pixels."""
        h, w = image.shape[:2]
        size = self.spec.size
        scale = size / max(h, w)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        resized = cv2.resize(image, (nw, nh), interpolation=interpolation)
        canvas = np.zeros((size, size, 3), np.uint8)
        canvas[:nh, :nw] = resized[:, :, ::-1]
        tensor = canvas.astype(np.float32) * np.float32(1 / 127.5) - np.float32(1.0)
        return tensor, w / nw, h / nh

    def _tiles(self, h: int, w: int) -> list[tuple[int, int, int]]:
        """(x, y, side) of square tiles covering the frame on a tile_grid x tile_grid layout."""
        n = self.tile_grid
        side = round(max(h, w) / (n - (n - 1) * TILE_OVERLAP))
        side = min(side, max(h, w))

        def starts(extent: int) -> list[int]:
            if extent <= side:
                return [0]
            return sorted({round(k * (extent - side) / (n - 1)) for k in range(n)})
        return [(x, y, side) for y in starts(h) for x in starts(w)]

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Faces in a BGR uint8 frame, best score first."""
        h, w = image.shape[:2]
        views = [(0, 0, image)]
        if self.tile_grid > 1 and max(h, w) > self.spec.size * 2:
            views += [(x, y, image[y : y + s, x : x + s]) for x, y, s in self._tiles(h, w)]
        tensors, factors = [], []
        for _, _, view in views:
            tensor, fx, fy = self._letterbox(view)
            tensors.append(tensor)
            factors.append((fx, fy))
        rows = self._rows(np.stack(tensors))
        found_scores, found_rows = [], []
        for (x0, y0, _), (fx, fy), view_rows in zip(views, factors, rows):
            logits = np.clip(view_rows[:, 0], -80, 80)
            keep = logits > np.log(self.score_threshold / (1 - self.score_threshold))
            if not keep.any():
                continue
            found_scores.append(1 / (1 + np.exp(-logits[keep])))
            found_rows.append(self._to_frame(view_rows[keep], self.anchors[keep], fx, fy, x0, y0))
        if not found_scores:
            return []
        faces = blended_nms(np.concatenate(found_scores), np.concatenate(found_rows), self.nms_iou)
        detections = []
        for score, row in faces:
            x_min, y_min, x_max, y_max = (float(v) for v in row[:4])
            if x_max - x_min < self.min_face_px:
                continue
            box = Box(x_min, y_min, x_max - x_min, y_max - y_min)
            detections.append(Detection(box, score, row[4:].reshape(6, 2).astype(np.float32)))
        return detections

    @staticmethod
    def _to_frame(
        rows: np.ndarray, anchors: np.ndarray, fx: float, fy: float, x0: int, y0: int
    ) -> np.ndarray:
        """Rows in input pixels -> (N, 16): box corners and keypoints in frame pixels."""
        factor = np.array([fx, fy], np.float32)
        offset = np.array([x0, y0], np.float32)
        centre = (rows[:, 1:3] + anchors) * factor + offset
        half = rows[:, 3:5] * factor / 2
        keypoints = (rows[:, 5:17].reshape(-1, 6, 2) + anchors[:, None]) * factor + offset
        return np.concatenate([centre - half, centre + half, keypoints.reshape(-1, 12)], axis=1)
