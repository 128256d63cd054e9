"""Safe decoding: every bad input gets its clear BadImage, odd-but-valid frames decode right."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest

from edge.errors import BadImage
from edge.vision.image_io import decode_image, image_size, is_animated_gif, read_image
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
        (b"\xff\xd8\xff\xe0", "truncated JPEG"),
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


def test_refuses_absurd_dimensions_from_the_header() -> None:
    data = png_with_header(100_000, 100_000)
    assert len(data) < 100 and image_size(data) == (100_000, 100_000)
    with pytest.raises(BadImage, match=r"too large: 100000x100000"):
        decode_image(data, max_pixels=LIMIT)


def test_refuses_a_jpeg_too_large_for_the_limit() -> None:
    with pytest.raises(BadImage, match="512x512 = 262144 pixels"):
        decode_image(astronaut_bytes(), max_pixels=100_000)


def test_refuses_zero_sized_header() -> None:
    with pytest.raises(BadImage, match="empty image"):
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


def gif(frames: int) -> bytes:
    header = b"GIF89a" + struct.pack("<HHBBB", 2, 2, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    control = b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # graphic control extension
    frame = control + b"\x2c" + struct.pack("<HHHHB", 0, 0, 2, 2, 0) + b"\x02\x02\x44\x01\x00"
    return header + frame * frames + b"\x3b"


def test_animated_gif_detection() -> None:
    assert is_animated_gif(gif(3))
    assert not is_animated_gif(gif(1))
    assert not is_animated_gif(astronaut_bytes())
    ok, single = cv2.imencode(".gif", np.zeros((4, 6, 3), np.uint8))
    assert not is_animated_gif(single.tobytes())
    assert decode_image(single.tobytes(), max_pixels=LIMIT).shape == (4, 6, 3)
