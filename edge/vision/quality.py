"""Quality gates of one face, each objection with a reason: size, blur, pose, exposure, occlusion.

Pose is estimated from the keypoints after the alignment has removed roll and scale: the nose
tip stands in front of the eyes, so turning the head moves it sideways (yaw) or along the
eye-mouth line (pitch). The estimates are rough (a few degrees near frontal, worse beyond
30 degrees) but monotone, which is what a gate needs. Occlusion (a mask, sunglasses) is
measured by :mod:`edge.vision.occlusion`.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from edge.vision.config import QualitySettings
from edge.vision.descriptors import DLIB_CHIP_TEMPLATE
from edge.vision.occlusion import occlusion_measures
from edge.vision.types import LEFT_EYE, MOUTH, NOSE, RIGHT_EYE, Quality

NOSE_DEPTH_PER_EYE_DISTANCE = 0.5  # nose tip in front of the eye line, in eye distances
NOSE_DEPTH_PER_EYE_MOUTH = 0.45  # ... in eye-to-mouth distances
_FRONTAL_NOSE_RATIO = float(
    (DLIB_CHIP_TEMPLATE[NOSE, 1] - DLIB_CHIP_TEMPLATE[:2, 1].mean())
    / (DLIB_CHIP_TEMPLATE[MOUTH, 1] - DLIB_CHIP_TEMPLATE[:2, 1].mean())
)


def pose_angles(chip_keypoints: np.ndarray) -> tuple[float, float]:
    """(yaw, pitch) in degrees from keypoints in aligned-chip pixels (roll already removed)."""
    eyes = (chip_keypoints[RIGHT_EYE] + chip_keypoints[LEFT_EYE]) / 2
    eye_distance = max(float(np.linalg.norm(chip_keypoints[LEFT_EYE] - chip_keypoints[RIGHT_EYE])), 1e-6)
    nose, mouth = chip_keypoints[NOSE], chip_keypoints[MOUTH]
    yaw = math.degrees(math.atan((nose[0] - eyes[0]) / eye_distance / NOSE_DEPTH_PER_EYE_DISTANCE))
    eye_mouth = max(float(mouth[1] - eyes[1]), 1e-6)
    ratio = float(nose[1] - eyes[1]) / eye_mouth
    pitch = math.degrees(math.atan((ratio - _FRONTAL_NOSE_RATIO) / NOSE_DEPTH_PER_EYE_MOUTH))
    return yaw, pitch


def assess(
    chip_bgr: np.ndarray, chip_keypoints: np.ndarray, interocular_px: float, settings: QualitySettings
) -> Quality:
    """Gate one face from its aligned chip, its keypoints in the chip and its eye distance in the frame."""
    grey = cv2.cvtColor(chip_bgr, cv2.COLOR_BGR2GRAY)
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    brightness = float(grey.mean())
    yaw, pitch = pose_angles(chip_keypoints)
    occlusion = occlusion_measures(chip_bgr)
    reasons = []
    if interocular_px < settings.min_interocular_px:
        reasons.append("too_small")
    if sharpness < settings.min_sharpness:
        reasons.append("blurry")
    if abs(yaw) > settings.max_yaw_deg or abs(pitch) > settings.max_pitch_deg:
        reasons.append("pose")
    if brightness < settings.min_brightness:
        reasons.append("too_dark")
    elif brightness > settings.max_brightness:
        reasons.append("too_bright")
    if (occlusion["lower_face_skin"] < settings.min_lower_face_skin
            or occlusion["eyes_dark"] > settings.max_eyes_dark):
        reasons.append("occluded")
    measures = {
        "interocular_px": round(interocular_px, 1),
        "sharpness": round(sharpness, 1),
        "yaw_deg": round(yaw, 1),
        "pitch_deg": round(pitch, 1),
        "brightness": round(brightness, 1),
        **occlusion,
    }
    return Quality(tuple(reasons), measures)
