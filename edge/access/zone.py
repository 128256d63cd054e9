"""The door zone: which of the faces in a frame may open the door.

A face is *at the door* when its centre lies in the zone's polygon, it is at least
``min_face_width`` of the frame wide (close enough), and it is the largest such face (the
nearest person decides for the door; a face behind them or on a poster does not). Other faces
are still tracked and identified, and may be reported as ``outside_door_zone``, never granted.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from edge.access.config import DoorZoneSettings
from edge.vision.types import Box

ZONE_COLOUR = (255, 200, 0)  # BGR: light blue, unlike the green / orange face boxes


class DoorZone:
    def __init__(self, settings: DoorZoneSettings) -> None:
        self.settings = settings
        self._polygon = np.array(settings.polygon, dtype=np.float32)  # (corners, 2), 0-1

    def corners_px(self, width: int, height: int) -> np.ndarray:
        """(corners, 2) int32: the polygon in the pixels of a ``width`` x ``height`` frame."""
        return np.round(self._polygon * [width, height]).astype(np.int32)

    def qualifies(self, box: Box, width: int, height: int) -> bool:
        """The face is in the zone and close enough (it still has to be the largest)."""
        if box.w < self.settings.min_face_width * width:
            return False
        centre = (box.x + box.w / 2, box.y + box.h / 2)
        return cv2.pointPolygonTest(self.corners_px(width, height), centre, False) >= 0

    def at_door(self, boxes: Sequence[Box], width: int, height: int) -> list[bool]:
        """Per box: does this face decide for the door? At most one does: the largest qualifying."""
        qualifying = [i for i, box in enumerate(boxes) if self.qualifies(box, width, height)]
        nearest = max(qualifying, key=lambda i: boxes[i].w * boxes[i].h, default=None)
        return [i == nearest for i in range(len(boxes))]

    def draw(self, image: np.ndarray) -> np.ndarray:
        """``image`` (BGR, changed in place and returned) with the zone's outline and a label."""
        height, width = image.shape[:2]
        corners = self.corners_px(width, height)
        cv2.polylines(image, [corners.reshape(-1, 1, 2)], True, ZONE_COLOUR, 2, cv2.LINE_AA)
        share = f"{self.settings.min_face_width:.0%}"  # of the width: the same on a resized copy
        x, y = (int(v) for v in corners.min(axis=0))
        cv2.putText(image, f"door zone (faces >= {share} of the width)", (x + 4, y + 16),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.45, ZONE_COLOUR, 1, cv2.LINE_AA)
        return image
