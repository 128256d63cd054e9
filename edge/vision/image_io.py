"""Safe image decoding: every bad input becomes :class:`BadImage` with a reason, never a crash.

The dimensions are read from the file's header and checked *before* decoding, so a small file
claiming 100000 x 100000 pixels is refused without allocating the frame. OpenCV silently decodes
a JPEG cut short (the missing part turns grey), so a JPEG must also carry its end-of-image marker
after the scan data.
"""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np

from edge.errors import BadImage

_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_SOS, _JPEG_EOI = 0xDA, 0xD9


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height from the frame header; also checks the end-of-image marker."""
    pos, size = 2, None
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise BadImage("corrupt JPEG: bad marker")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _JPEG_SOF and pos + 9 <= len(data):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            size = (width, height)
        if marker == _JPEG_SOS:
            if size is None:
                raise BadImage("corrupt JPEG: scan data before the frame header")
            if data.rfind(b"\xff\xd9", pos) < 0:
                raise BadImage("truncated JPEG: no end-of-image marker (file cut short?)")
            return size
        pos += 2 + length
    raise BadImage("truncated JPEG: the file ends inside its headers")


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise BadImage("corrupt PNG: no IHDR header")
    width, height = struct.unpack(">II", data[16:24])
    if data.rfind(b"IEND", 33) < 0:
        raise BadImage("truncated PNG: no IEND chunk (file cut short?)")
    return width, height


def _gif_size(data: bytes) -> tuple[int, int]:
    if len(data) < 10:
        raise BadImage("truncated GIF header")
    width, height = struct.unpack("<HH", data[6:10])
    return width, height


def _bmp_size(data: bytes) -> tuple[int, int]:
    if len(data) < 26:
        raise BadImage("truncated BMP header")
    (header_size,) = struct.unpack("<I", data[14:18])
    if header_size == 12:
        width, height = struct.unpack("<HH", data[18:22])
        return width, height
    width, height = struct.unpack("<ii", data[18:26])
    return abs(width), abs(height)


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    raise BadImage("corrupt WebP header")


def _tiff_size(data: bytes) -> tuple[int, int]:
    """Width and height from the first image directory (tags 256 and 257)."""
    order = "<" if data[:2] == b"II" else ">"
    try:
        (offset,) = struct.unpack(order + "I", data[4:8])
        (count,) = struct.unpack(order + "H", data[offset : offset + 2])
        dims: dict[int, int] = {}
        for k in range(count):
            entry = data[offset + 2 + 12 * k : offset + 14 + 12 * k]
            tag, kind = struct.unpack(order + "HH", entry[:4])
            if tag in (256, 257):
                fmt = "H" if kind == 3 else "I"
                dims[tag] = struct.unpack(order + fmt, entry[8 : 8 + struct.calcsize(fmt)])[0]
        return dims[256], dims[257]
    except (struct.error, KeyError) as exc:
        raise BadImage("corrupt TIFF header: no image dimensions") from exc


def _format_and_size(data: bytes) -> tuple[str, tuple[int, int]]:
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg", _jpeg_size(data)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png", _png_size(data)
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif", _gif_size(data)
    if data[:2] == b"BM":
        return "bmp", _bmp_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", _webp_size(data)
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff", _tiff_size(data)
    raise BadImage("not an image (supported: JPEG, PNG, BMP, GIF, WebP, TIFF)")


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) read from the header alone; :class:`BadImage` if not a sane image."""
    if not data:
        raise BadImage("empty file")
    return _format_and_size(data)[1]


def _to_bgr(image: np.ndarray) -> np.ndarray:
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:  # float TIFF and the like: stretch the range
        low, high = float(image.min()), float(image.max())
        image = ((image - low) * (255.0 / max(high - low, 1e-12))).astype(np.uint8)
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        # composite over black: transparent pixels carry no picture, whatever colour they store
        alpha = image[:, :, 3:4].astype(np.float32) / 255.0
        return (image[:, :, :3].astype(np.float32) * alpha + 0.5).astype(np.uint8)
    return image


def decode_image(data: bytes, *, max_pixels: int) -> np.ndarray:
    """Decode an encoded image into a BGR uint8 (H, W, 3) array.

    Grey and IR single-channel images become three equal channels, RGBA is composited over
    black, 16-bit samples are scaled to 8 bits, JPEG EXIF orientation is applied.
    Raises :class:`BadImage` (empty, not an image, truncated, absurd dimensions, undecodable).
    """
    if not data:
        raise BadImage("empty file")
    kind, (width, height) = _format_and_size(data)
    if width <= 0 or height <= 0:
        raise BadImage(f"{kind.upper()} header gives an empty image ({width}x{height})")
    if width * height > max_pixels:
        raise BadImage(
            f"image too large: {width}x{height} = {width * height} pixels (limit {max_pixels})"
        )
    # JPEG: let OpenCV apply the EXIF orientation; the others may carry alpha or 16 bits
    flags = cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH if kind == "jpeg" else cv2.IMREAD_UNCHANGED
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error as exc:
        raise BadImage(f"cannot decode {kind.upper()}: {exc.msg.strip()}") from exc
    if image is None or image.size == 0:
        raise BadImage(f"cannot decode {kind.upper()} (corrupt or unsupported variant)")
    return _to_bgr(image)


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


def is_animated_gif(data: bytes) -> bool:
    """True for a GIF holding more than one frame (walks the block structure, decodes nothing)."""
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 13:
        return False
    pos = 13
    if data[10] & 0x80:  # global colour table
        pos += 3 * (2 ** ((data[10] & 0x07) + 1))
    frames = 0
    while pos < len(data):
        block = data[pos]
        if block == 0x3B:  # trailer
            break
        if block == 0x21:  # extension: label, then sub-blocks
            pos = _skip_sub_blocks(data, pos + 2)
        elif block == 0x2C:  # image descriptor, optional local colour table, LZW size, data
            frames += 1
            if frames > 1:
                return True
            if pos + 10 > len(data):
                break
            flags = data[pos + 9]
            pos += 10
            if flags & 0x80:
                pos += 3 * (2 ** ((flags & 0x07) + 1))
            pos = _skip_sub_blocks(data, pos + 1)
        else:
            break
    return False


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos]:
        pos += data[pos] + 1
    return pos + 1
