"""Safe image decoding: every bad input becomes :class:`BadImage` with a reason, never a crash.

Pillow reads the header alone (``Image.open``), so a small file claiming 100000 x 100000 pixels
is refused before any pixel is allocated (our ``max_pixels``, and Pillow's own
``DecompressionBombError``); it refuses files cut short when decoding, and
``ImageOps.exif_transpose`` applies the EXIF orientation of every format (JPEG, PNG, WebP, TIFF)
— phone photos are often stored sideways with an orientation tag.

OpenCV keeps the decode where it is faster (measured in docs/vision.md: JPEG and WebP without an
orientation to apply). It decodes a JPEG cut short into a partly grey picture without a word, so
that path is taken only for a JPEG that ends with its end-of-image marker; anything else goes
through Pillow, which says the file is truncated.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import cv2
import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from edge.errors import BadImage

FORMATS = ("JPEG", "PNG", "BMP", "GIF", "WEBP", "TIFF")
_OPENCV_FASTER = {"JPEG", "WEBP"}  # docs/vision.md, "Decoding"
_JPEG_EOI = b"\xff\xd9"


def _open(data: bytes) -> Image.Image:
    """The image's header, parsed by Pillow; :class:`BadImage` for anything but a sane image."""
    if not data:
        raise BadImage("empty file")
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.DecompressionBombError as exc:
        raise BadImage(f"image too large: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise BadImage(f"not an image (supported: {', '.join(FORMATS)})") from exc
    except (OSError, SyntaxError, ValueError) as exc:  # a header Pillow cannot make sense of
        raise BadImage(f"corrupt image header: {exc}") from exc
    width, height = image.size
    if width <= 0 or height <= 0:
        raise BadImage(f"{image.format} header gives an empty image ({width}x{height})")
    return image


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) read from the header alone; :class:`BadImage` if not a sane image."""
    width, height = _open(data).size
    return width, height


def _to_bgr(image: np.ndarray) -> np.ndarray:
    """8-bit BGR from what a decoder gives: grey, BGR(A), 16-bit or float samples."""
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:  # float or 32-bit TIFF and the like: stretch the range
        low, high = float(image.min()), float(image.max())
        image = ((image - low) * (255.0 / max(high - low, 1e-12))).astype(np.uint8)
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        # composite over black: transparent pixels carry no picture, whatever colour they store
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        return (image[:, :, :3].astype(np.float32) * alpha + 0.5).astype(np.uint8)
    return image


def _pillow_pixels(image: Image.Image) -> np.ndarray:
    """Decode with Pillow, upright, as an array in OpenCV's channel order (grey, BGR or BGRA)."""
    image = ImageOps.exif_transpose(image)
    if image.mode.startswith("I;16"):
        return np.asarray(image).astype(np.uint16)  # native byte order
    if image.mode in ("L", "I", "F"):
        return np.asarray(image)
    rgb = np.asarray(image.convert("RGBA" if image.has_transparency_data else "RGB"))
    return cv2.cvtColor(rgb, cv2.COLOR_RGBA2BGRA if rgb.shape[2] == 4 else cv2.COLOR_RGB2BGR)


def decode_image(data: bytes, *, max_pixels: int) -> np.ndarray:
    """Decode an encoded image into a BGR uint8 (H, W, 3) array, upright.

    Grey and IR single-channel images become three equal channels, RGBA is composited over
    black, 16-bit samples are scaled to 8 bits, the EXIF orientation is applied (every format).
    Raises :class:`BadImage` (empty, not an image, truncated, absurd dimensions, undecodable).
    """
    image = _open(data)
    kind = image.format or "image"
    width, height = image.size
    if width * height > max_pixels:
        raise BadImage(f"image too large: {width}x{height} = {width * height} pixels (limit {max_pixels})")
    complete = kind != "JPEG" or data.rstrip(b"\0").endswith(_JPEG_EOI)
    try:
        upright = image.getexif().get(ExifTags.Base.Orientation, 1) == 1  # PNG: may decode
        if kind in _OPENCV_FASTER and upright and complete:
            pixels = cv2.imdecode(np.frombuffer(data, np.uint8),
                                  cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION)
        else:
            pixels = _pillow_pixels(image)
    except cv2.error as exc:
        raise BadImage(f"cannot decode {kind}: {exc.msg.strip()}") from exc
    except (OSError, SyntaxError, ValueError, struct.error) as exc:  # "image file is truncated", ...
        if "truncated" in str(exc):
            raise BadImage(f"truncated {kind}: {exc} (file cut short?)") from exc
        raise BadImage(f"cannot decode {kind}: {exc}") from exc
    if pixels is None or pixels.size == 0:
        raise BadImage(f"cannot decode {kind} (corrupt or unsupported variant)")
    return _to_bgr(pixels)


def read_image(path: Path | str, *, max_pixels: int) -> np.ndarray:
    """:func:`decode_image` of a file; a missing or unreadable file is :class:`BadImage` too."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BadImage(f"{path}: {exc.strerror or exc}") from exc
    try:
        return decode_image(data, max_pixels=max_pixels)
    except BadImage as exc:
        raise BadImage(f"{path}: {exc}") from exc


def is_grey(image: np.ndarray) -> bool:
    """True for a single-channel image, or a BGR one whose three channels are (nearly) equal
    (a camera in night mode, a grey photo): mean channel difference under 2 grey levels."""
    if image.ndim == 2:
        return True
    sample = image[::4, ::4].astype(np.int16)
    return bool(np.abs(np.diff(sample, axis=2)).mean() < 2)
