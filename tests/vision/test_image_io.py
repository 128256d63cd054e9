"""Safe decoding: every bad input gets its clear BadImage, odd-but-valid frames decode right,
phone photos stored sideways come out upright in every format."""

from __future__ import annotations

import io
import resource
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from edge.errors import BadImage
from edge.vision.image_io import decode_image, image_size, read_image
from edge.vision.pipeline import FaceAnalyzer
from tests.vision.conftest import ASTRONAUT

LIMIT = 40_000_000


def astronaut_bytes() -> bytes:
    return ASTRONAUT.read_bytes()


def png_with_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width x height but whose data holds almost nothing."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


def test_decodes_a_jpeg_as_bgr() -> None:
    image = decode_image(astronaut_bytes(), max_pixels=LIMIT)
    assert image.shape == (512, 512, 3) and image.dtype == np.uint8
    # the orange suit at the bottom left: red channel (last in BGR) dominates
    b, g, r = image[450, 100].astype(int)
    assert r > g > b


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"hello, this is text and no picture" * 10, "not an image"),
        (b"\xff\xd8\xff\xe0", "not an image"),  # a JPEG's first bytes
    ],
)
def test_refuses_non_images(data: bytes, reason: str) -> None:
    with pytest.raises(BadImage, match=reason):
        decode_image(data, max_pixels=LIMIT)


@pytest.mark.parametrize("keep", [2000, 40_000, -2])
def test_refuses_truncated_jpeg(keep: int) -> None:
    # OpenCV 4 decodes such files into a partly grey picture; the EOI check catches them anyway
    with pytest.raises(BadImage, match="truncated JPEG"):
        decode_image(astronaut_bytes()[:keep], max_pixels=LIMIT)


def test_refuses_a_decompression_bomb_from_its_header() -> None:
    """A 60-byte PNG claiming 10 G pixels: refused by Pillow's bomb check when the header is read."""
    data = png_with_header(100_000, 100_000)
    assert len(data) < 100
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for probe in (lambda: image_size(data), lambda: decode_image(data, max_pixels=LIMIT)):
        with pytest.raises(BadImage, match="image too large"):
            probe()
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_kib) / 1024
    assert grown_mib < 64  # nothing decoded: the claimed picture alone would be 30 GB


def test_refuses_a_header_over_the_pixel_budget() -> None:
    data = png_with_header(10_000, 5_000)  # under Pillow's bomb limit, over ours
    assert image_size(data) == (10_000, 5_000)
    with pytest.raises(BadImage, match=r"too large: 10000x5000 = 50000000 pixels \(limit 40000000\)"):
        decode_image(data, max_pixels=LIMIT)


def test_refuses_a_jpeg_too_large_for_the_limit() -> None:
    with pytest.raises(BadImage, match="512x512 = 262144 pixels"):
        decode_image(astronaut_bytes(), max_pixels=100_000)


def test_refuses_zero_sized_header() -> None:
    with pytest.raises(BadImage, match="not an image"):  # Pillow refuses a 0-pixel-wide PNG
        decode_image(png_with_header(0, 10), max_pixels=LIMIT)


def test_grey_single_channel_becomes_three_equal_channels() -> None:
    grey = cv2.cvtColor(decode_image(astronaut_bytes(), max_pixels=LIMIT), cv2.COLOR_BGR2GRAY)
    for ext in (".png", ".jpg"):
        ok, encoded = cv2.imencode(ext, grey)
        image = decode_image(encoded.tobytes(), max_pixels=LIMIT)
        assert image.shape == (512, 512, 3)
        assert np.array_equal(image[:, :, 0], image[:, :, 2])
        assert abs(int(image[256, 256, 0]) - int(grey[256, 256])) <= 3


def test_rgba_is_composited_and_16_bit_scaled() -> None:
    bgr = decode_image(astronaut_bytes(), max_pixels=LIMIT)
    alpha = np.full((512, 512, 1), 255, np.uint8)
    alpha[:, :256] = 0  # left half transparent
    ok, encoded = cv2.imencode(".png", np.concatenate([bgr, alpha], axis=2))
    image = decode_image(encoded.tobytes(), max_pixels=LIMIT)
    assert image.shape == (512, 512, 3)
    assert image[:, :256].max() == 0 and np.array_equal(image[:, 256:], bgr[:, 256:])

    ok, encoded = cv2.imencode(".png", bgr.astype(np.uint16) * 257)
    assert np.array_equal(decode_image(encoded.tobytes(), max_pixels=LIMIT), bgr)


def test_read_image_names_the_file(tmp_path) -> None:
    missing = tmp_path / "nope.jpg"
    with pytest.raises(BadImage, match="nope.jpg"):
        read_image(missing, max_pixels=LIMIT)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(astronaut_bytes()[:5000])
    with pytest.raises(BadImage, match=r"cut\.jpg: truncated JPEG"):
        read_image(cut, max_pixels=LIMIT)


def test_a_single_frame_gif_decodes() -> None:
    ok, single = cv2.imencode(".gif", np.zeros((4, 6, 3), np.uint8))
    assert decode_image(single.tobytes(), max_pixels=LIMIT).shape == (4, 6, 3)


@pytest.mark.parametrize("kind", ["PNG", "WEBP"])
def test_refuses_truncated_png_and_webp(kind: str) -> None:
    buffer = io.BytesIO()
    Image.open(ASTRONAUT).save(buffer, kind)
    with pytest.raises(BadImage, match="truncated PNG|corrupt image header"):
        decode_image(buffer.getvalue()[: len(buffer.getvalue()) // 2], max_pixels=LIMIT)


ORIENTATION = 0x0112  # EXIF tag
# EXIF orientation -> how the camera stored the upright picture (Pillow transposes)
STORED_AS = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def sideways_photo(kind: str, orientation: int) -> bytes:
    """The astronaut stored as a phone stores a turned photo: pixels turned, an orientation tag."""
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    buffer = io.BytesIO()
    stored = Image.open(ASTRONAUT).transpose(STORED_AS[orientation])
    stored.save(buffer, kind, exif=exif.tobytes(), **({"quality": 95} if kind != "PNG" else {}))
    return buffer.getvalue()


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_applied_in_every_format(kind: str, orientation: int) -> None:
    upright = decode_image(astronaut_bytes(), max_pixels=LIMIT).astype(int)
    image = decode_image(sideways_photo(kind, orientation), max_pixels=LIMIT).astype(int)
    assert image.shape == upright.shape
    assert np.abs(image - upright).mean() < 4  # the same picture, up to lossy re-encoding


@pytest.mark.parametrize("kind", ["PNG", "WEBP"])
def test_a_turned_phone_photo_in_png_or_webp_has_its_face_found(analyzer: FaceAnalyzer, kind: str) -> None:
    """Was: 'no face found' at enrollment for 44 of 82 PNG and 41 of 82 WebP photos."""
    faces = analyzer.analyze(decode_image(sideways_photo(kind, 6), max_pixels=LIMIT))
    assert len(faces) == 1
