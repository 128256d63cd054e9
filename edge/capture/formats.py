"""Frames of every source as the vision stage expects them: 8-bit BGR, HxWx3.

Cameras and pipelines deliver other layouts: a GStreamer ``BGRx`` caps (common on a Jetson) gives
4 channels, a V4L2 device read raw gives 2-channel YUYV, a monochrome or IR sensor 1 channel, a
machine-vision camera 16 bits. What has one obvious conversion is converted; anything else is
refused at the source with an error that says which format to configure, instead of a crash in
the detector or a silent 0 faces.
"""

from __future__ import annotations

import cv2
import numpy as np

from edge.errors import UnsupportedFrame

_TO_BGR = {  # channels -> OpenCV conversion (None: already BGR)
    1: cv2.COLOR_GRAY2BGR,
    2: cv2.COLOR_YUV2BGR_YUY2,  # packed YUYV 4:2:2, the usual 2-channel camera frame
    3: None,
    4: cv2.COLOR_BGRA2BGR,  # BGRx / BGRA: the fourth channel is padding or alpha
}


def as_bgr8(image: np.ndarray, source: str) -> np.ndarray:
    """``image`` (HxW or HxWxC, uint8 or uint16) as 8-bit BGR HxWx3; :class:`UnsupportedFrame`
    for any other dtype or channel count. 16-bit values keep their high byte (full range)."""
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise UnsupportedFrame(f"{source} delivers {image.dtype} frames; configure it for 8-bit "
                               "(or 16-bit) BGR, grey, YUYV or BGRx")
    channels = 1 if image.ndim == 2 else image.shape[2] if image.ndim == 3 else 0
    if channels not in _TO_BGR:
        raise UnsupportedFrame(f"{source} delivers frames of shape {image.shape}; configure it "
                               "for BGR, grey, YUYV or BGRx")
    code = _TO_BGR[channels]
    return image if code is None else cv2.cvtColor(np.ascontiguousarray(image), code)
