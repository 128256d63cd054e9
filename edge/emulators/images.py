"""Decoding uploaded images within a pixel budget, a few at a time (issue #19, item 3).

Decoding costs far more memory than the upload: a 280 KB PNG of 16-bit RGBA pixels took about
1.3 GB to decode and convert. So the dimensions are read from the header first (Pillow's
``Image.open`` reads only the header) and checked against the API's pixel budget, and at most
:data:`DECODE_SLOTS` images are decoded at once in the whole process, whatever the number of
requests in flight.
"""

from __future__ import annotations

import io
import threading

import numpy as np
from PIL import Image, UnidentifiedImageError

from edge.errors import BadImage
from edge.vision.image_io import decode_image

PIXEL_BUDGET = 4000 * 4000  # SenseTime's and IAI's documented 4000 px sides; YouTu documents none
DECODE_SLOTS = 2  # the appliance class has 2-4 cores; a decode holds ~50 bytes per pixel at peak
_decodes = threading.BoundedSemaphore(DECODE_SLOTS)
EXIF_ORIENTATION = 0x0112


class TooManyPixels(BadImage):
    """The header declares more pixels than the budget (nothing was decoded)."""


def header_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the image's header alone; :class:`BadImage` if it has none."""
    if not data:
        raise BadImage("empty file")
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Image.DecompressionBombError:  # Pillow's own ceiling, far above any budget here
        raise TooManyPixels("the header declares a decompression bomb") from None
    except UnidentifiedImageError:
        raise BadImage("not an image (no format Pillow knows)") from None
    except (OSError, ValueError, SyntaxError) as exc:  # what Pillow's format plugins raise
        raise BadImage(f"corrupt image header ({type(exc).__name__})") from None


def exif_orientation(data: bytes) -> int:
    """The EXIF orientation tag (1-8) of an image, 1 when it has none (read from the header)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            value = image.getexif().get(EXIF_ORIENTATION, 1)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def decode_within(data: bytes, max_pixels: int = PIXEL_BUDGET) -> np.ndarray:
    """A BGR uint8 (H, W, 3) frame of ``data``; :class:`TooManyPixels` before any decoding if
    the header declares more than ``max_pixels``, :class:`BadImage` for whatever is not a sound
    image. Blocks while :data:`DECODE_SLOTS` other decodes run."""
    width, height = header_size(data)
    if width * height > max_pixels:
        raise TooManyPixels(f"{width}x{height} is over the budget of {max_pixels} pixels")
    with _decodes:
        return decode_image(data, max_pixels=max_pixels)
