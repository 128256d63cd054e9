"""Anchor decoding for the BlazeFace-family detectors (shared by the model tests)."""

import numpy as np


def grid_anchors(size: int, stride: int, per_cell: int) -> np.ndarray:
    """Anchor centres (x, y) in input pixels; row = (gy * n + gx) * per_cell + a."""
    n = size // stride
    gy, gx = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    centres = np.stack([(gx.ravel() + 0.5) * stride, (gy.ravel() + 0.5) * stride], 1)
    return np.repeat(centres, per_cell, axis=0).astype(np.float32)


FULL_ANCHORS = grid_anchors(192, 4, 1)  # 2304, facemesh-detection-full
FRONT_ANCHORS = np.concatenate([grid_anchors(128, 8, 2), grid_anchors(128, 16, 6)])  # 896, blazeface-front


def decode(rows: np.ndarray, anchors: np.ndarray) -> dict:
    """rows [..., 17] = [score logit, cx, cy, w, h, 6 x (kx, ky)] offsets; anchors broadcast to rows."""
    centre = rows[..., 1:3] + anchors
    size = rows[..., 3:5]
    kps = rows[..., 5:17].reshape(*rows.shape[:-1], 6, 2) + anchors[..., None, :]
    boxes = np.concatenate([centre - size / 2, centre + size / 2], -1)  # x0, y0, x1, y1
    score = 1 / (1 + np.exp(-np.clip(rows[..., 0], -80, 80)))
    return {"score": score, "boxes": boxes, "keypoints": kps}
