"""Simulated presentation attacks: what a 640x480 door webcam sees of a print or a phone screen.

From one bona fide photo (a face and its surroundings) this makes *tracks* (several frames of one
presentation) of three kinds, all captured through the SAME simulated camera so that a classifier
cannot tell them apart by the camera pipeline, only by the presentation:

* ``bona_fide``: the photo itself is the scene (the person in front of the camera), moving a little.
* ``print``: the photo printed (gamut and dynamic-range compression, halftone or stochastic
  dithering, paper texture, a white margin), lit like a flat sheet (a light gradient, another
  white balance, sometimes glare), held by hand as a plane that tilts and moves (perspective
  warp), over a room background; its edge is in view when the sheet is small enough.
* ``replay``: the photo on a phone screen (RGB sub-pixel grid, backlight: raised blacks, clipped
  highlights, a cool white point), in a black bezel, tilted and moving; the rolling shutter of
  the camera adds refresh banding and the pixel grid aliases into moire.

The camera (lens blur, exposure, Poisson-Gaussian sensor noise, JPEG) draws its parameters once
per track. Everything is driven by one ``numpy.random.Generator``: same seed, same frames.

These are simulations of physics, not real attacks: figures measured on them say how well a
method learned *these* cues; real prints and screens are the final judge (docs/vision.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from edge.vision.types import Box

FRAME_W, FRAME_H = 640, 480
KINDS: tuple[str, ...] = ("bona_fide", "print", "replay")
Kind = Literal["bona_fide", "print", "replay"]

# A face 16 cm wide seen by a 640 px-wide ~60 degree webcam is ~90 px wide at 1 m and ~180 px at
# 0.5 m: the range of a person standing at a door camera.
FACE_WIDTH_PX = (85.0, 180.0)
HALFTONE_PERIOD = 2.0  # px of the rendered print per halftone cell
MAX_SHEET_PX = 2000  # the long side of a rendered sheet (bounds the cost of a track)


@dataclass(frozen=True)
class Camera:
    """One simulated webcam setting (drawn once per track)."""

    blur_sigma: float  # px, lens/focus blur of the 640x480 image
    resolution: float  # 1 = a true 640x480 sensor; 0.35-0.8 = a cheaper one, upscaled to 640x480
    gain: float  # exposure multiplier
    read_noise: float  # grey levels (0..255 scale), signal-independent noise sigma
    shot_noise: float  # grey levels at full scale, scales with sqrt(signal)
    jpeg_quality: int

    @staticmethod
    def draw(rng: np.random.Generator) -> Camera:
        return Camera(
            blur_sigma=float(rng.uniform(0.3, 2.0)),
            resolution=float(rng.uniform(0.35, 0.8)) if rng.random() < 0.3 else 1.0,
            gain=float(rng.uniform(0.85, 1.15)),
            read_noise=float(rng.uniform(0.5, 5.0)),
            shot_noise=float(rng.uniform(1.0, 4.0)),
            jpeg_quality=int(rng.integers(35, 95)),
        )

    def capture(self, scene: np.ndarray, rng: np.random.Generator) -> bytes:
        """The JPEG the camera gives for ``scene`` (float BGR, 0..1), as an MJPEG webcam sends it."""
        image = cv2.GaussianBlur(scene.astype(np.float32), (0, 0), self.blur_sigma)
        if self.resolution < 1:
            size = (image.shape[1], image.shape[0])
            small = cv2.resize(image, None, fx=self.resolution, fy=self.resolution,
                               interpolation=cv2.INTER_AREA)
            image = cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)
        image = np.clip(image, 0.0, 1.0 / self.gain, out=image) * np.float32(255 * self.gain)
        variance = image * np.float32(self.shot_noise**2 / 255) + np.float32(self.read_noise**2)
        cv2.setRNGSeed(int(rng.integers(2**31)))  # OpenCV's generator: 3x faster than numpy's here
        rows = image.shape[0]
        noise = cv2.randn(np.empty((rows, image.size // rows), np.float32), np.zeros(1), np.ones(1))
        image += (cv2.sqrt(variance.reshape(rows, -1)) * noise).reshape(image.shape)
        image = np.clip(image + 0.5, 0, 255).astype(np.uint8)
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        assert ok
        return jpeg.tobytes()


@dataclass(frozen=True)
class SimulatedTrack:
    """Frames of one simulated presentation; ``faces`` is where the face was placed in each frame."""

    kind: str
    jpegs: list[bytes]  # the camera's frames, 640x480
    faces: list[Box]

    @property
    def frames(self) -> list[np.ndarray]:
        """The frames decoded: (480, 640, 3) uint8 BGR each."""
        return [np.asarray(cv2.imdecode(np.frombuffer(j, np.uint8), cv2.IMREAD_COLOR)) for j in self.jpegs]


def _to_float(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float32) * np.float32(1 / 255)


def _background(backdrop: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A room behind the presentation: another photo blown up and out of focus (float BGR)."""
    h, w = backdrop.shape[:2]
    side = int(min(h, w) * rng.uniform(0.3, 0.7))
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    room = cv2.resize(backdrop[y : y + side, x : x + side], (FRAME_W, FRAME_H))
    return cv2.GaussianBlur(_to_float(room), (0, 0), rng.uniform(4, 10))


def _homography_of_plane(size: tuple[int, int], centre: tuple[float, float], scale: float,
                         yaw: float, pitch: float, roll: float) -> np.ndarray:
    """Homography taking a flat sheet of ``size`` (w, h) px to the frame: the sheet scaled by
    ``scale``, rotated in 3-D by yaw/pitch/roll (radians) about its centre, seen by a pinhole
    camera (focal 560 px, a 640 px ~60 degree webcam) and centred at ``centre``."""
    w, h = size
    focal = 560.0
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    local = (corners - [w / 2, h / 2]) * scale
    points = np.column_stack([local, np.zeros(4)])
    rotation = cv2.Rodrigues(np.array([0.0, yaw, 0.0]))[0] @ cv2.Rodrigues(np.array([pitch, 0.0, 0.0]))[0] \
        @ cv2.Rodrigues(np.array([0.0, 0.0, roll]))[0]
    rotated = points @ rotation.T + [0, 0, focal]
    projected = rotated[:, :2] * (focal / rotated[:, 2:3]) + centre
    return cv2.getPerspectiveTransform(corners.astype(np.float32), projected.astype(np.float32))


def _alpha(shape: tuple[int, ...], feather: float) -> np.ndarray:
    """Opacity of a sheet: 1 inside; with ``feather`` > 0 (a share of the short side) it fades out
    towards the border, so a bona fide photo melts into the room without a printout's edge."""
    mask = np.ones(shape[:2], np.float32)
    if feather <= 0:
        return mask
    h, w = shape[:2]
    ramp_y = np.minimum(np.arange(h), np.arange(h)[::-1]) / (feather * min(h, w))
    ramp_x = np.minimum(np.arange(w), np.arange(w)[::-1]) / (feather * min(h, w))
    return np.clip(np.minimum(ramp_y[:, None], ramp_x[None, :]), 0, 1).astype(np.float32)


def _warp_over(sheet: np.ndarray, homography: np.ndarray, background: np.ndarray,
               feather: float) -> np.ndarray:
    """``sheet`` (float BGR) warped onto ``background`` by ``homography``."""
    warped = cv2.warpPerspective(sheet, homography, (FRAME_W, FRAME_H), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(_alpha(sheet.shape, feather), homography, (FRAME_W, FRAME_H),
                               flags=cv2.INTER_LINEAR)[..., None]
    return warped * mask + background * (1 - mask)


def _face_box_through(homography: np.ndarray, face: Box) -> Box:
    corners = np.array([[[face.x, face.y], [face.x + face.w, face.y], [face.x + face.w, face.y + face.h],
                         [face.x, face.y + face.h]]], np.float32)
    mapped = cv2.perspectiveTransform(corners, homography)[0]
    x0, y0 = mapped.min(axis=0)
    x1, y1 = mapped.max(axis=0)
    return Box(float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def _halftone(image: np.ndarray, rng: np.random.Generator, period: float) -> np.ndarray:
    """Printed ink on paper: each of C, M, Y screened either by a rotated clustered-dot screen of
    ``period`` px (offset/laser print) or by stochastic dither (inkjet), then slightly spread."""
    h, w = image.shape[:2]
    x, y = np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)
    ink = 1.0 - image  # C, M, Y as B, G, R channels' complements
    out = np.empty_like(image)
    clustered = rng.random() < 0.5
    screen: np.ndarray
    for c, angle in enumerate(np.deg2rad([15.0, 75.0, 0.0]) + rng.uniform(0, np.pi / 2)):
        if clustered:
            # cos(2 pi u / period) + cos(2 pi v / period) with (u, v) the (x, y) rotated by angle,
            # expanded as cos(a + b) = cos a cos b - sin a sin b into outer products (fast)
            k = np.float32(2 * np.pi / period)
            screen = np.full((h, w), 0.5, np.float32)
            for fx, fy in ((np.cos(angle), np.sin(angle)), (-np.sin(angle), np.cos(angle))):
                ax, ay = k * np.float32(fx) * x, k * np.float32(fy) * y
                screen += 0.25 * (np.outer(np.cos(ay), np.cos(ax)) - np.outer(np.sin(ay), np.sin(ax)))
        else:
            screen = cv2.GaussianBlur(rng.random((h, w), dtype=np.float32), (0, 0), period / 4)
            screen = ((screen - screen.min()) / (np.ptp(screen) + 1e-6)).astype(np.float32)
        out[..., c] = (ink[..., c] > screen).astype(np.float32)
    return 1.0 - cv2.GaussianBlur(out, (0, 0), period / 6)


def _print_sheet(photo: np.ndarray, rng: np.random.Generator,
                 upsample: float) -> tuple[np.ndarray, np.ndarray]:
    """The printed sheet (float BGR, at ``upsample`` x the photo's pixels) and the affine taking
    photo pixels to sheet pixels."""
    photo = cv2.resize(_to_float(photo), None, fx=upsample, fy=upsample, interpolation=cv2.INTER_CUBIC)
    # gamut: print saturates less, and paper white / ink black bound the dynamic range
    grey = photo.mean(axis=2, keepdims=True)
    photo = grey + (photo - grey) * rng.uniform(0.55, 0.9)
    photo = np.clip(photo, 0, 1) ** rng.uniform(0.8, 1.25)
    printed = _halftone(photo, rng, HALFTONE_PERIOD) if rng.random() < 0.8 else photo
    paper_white, ink_black = rng.uniform(0.78, 0.95), rng.uniform(0.06, 0.2)
    printed = ink_black + (paper_white - ink_black) * printed
    margin = int(photo.shape[1] * rng.uniform(0.0, 0.15))
    sheet = np.full((photo.shape[0] + 2 * margin, photo.shape[1] + 2 * margin, 3), paper_white, np.float32)
    sheet[margin : margin + photo.shape[0], margin : margin + photo.shape[1]] = printed
    sh, sw = sheet.shape[:2]
    strength = np.float32(rng.uniform(0.01, 0.04))
    fibres = cv2.GaussianBlur(rng.standard_normal((sh, sw)).astype(np.float32), (0, 0), 1.0) * strength
    sheet *= (1 + fibres)[..., None]
    # a flat sheet under a room light: one smooth gradient of light and a tint of its own
    ramp = np.linspace(-1, 1, sw, dtype=np.float32)[None, :] * rng.uniform(-0.1, 0.1) \
        + np.linspace(-1, 1, sh, dtype=np.float32)[:, None] * rng.uniform(-0.1, 0.1)
    sheet *= (1 + ramp)[..., None] * rng.uniform(0.85, 1.15, 3).astype(np.float32)
    if rng.random() < 0.35:  # glare: the specular reflection of a lamp on glossy paper
        gy, gx = rng.uniform(0, sh), rng.uniform(0, sw)
        yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
        radius = rng.uniform(0.08, 0.3) * sw
        glare = np.exp(-((xx - gx) ** 2 + ((yy - gy) * rng.uniform(0.5, 2)) ** 2) / (2 * radius**2))
        sheet += (glare * rng.uniform(0.3, 0.9))[..., None]
    offset = np.array([[upsample, 0, margin], [0, upsample, margin]])
    return sheet, offset


def _replay_sheet(photo: np.ndarray, rng: np.random.Generator, ratio: float,
                  upsample: int) -> tuple[np.ndarray, np.ndarray]:
    """A phone showing ``photo``: screen pixels drawn as R, G, B stripes with a dark grid, a
    backlight (raised black, clipped highlights, cool white point) and a black bezel."""
    # the photo resampled to the phone's own pixels (``ratio`` screen pixels per photo pixel)
    pixels = cv2.resize(_to_float(photo), None, fx=ratio, fy=ratio,
                        interpolation=cv2.INTER_AREA if ratio < 1 else cv2.INTER_LINEAR)
    ph, pw = pixels.shape[:2]
    emitted = np.clip(pixels * rng.uniform(1.1, 1.5), 0, 1)  # brightness turned up: highlights clip
    emitted = rng.uniform(0.03, 0.12) + (1 - 0.1) * emitted  # backlight bleed raises the black
    emitted *= np.array([rng.uniform(1.0, 1.15), 1.0, rng.uniform(0.85, 1.0)], np.float32)  # cool white (BGR)
    # each screen pixel = upsample x upsample sub-image: three vertical stripes and a dark gap
    cell = np.zeros((upsample, upsample, 3), np.float32)
    stripe = upsample / 3
    for c_bgr, k in ((2, 0), (1, 1), (0, 2)):  # R, G, B from left to right
        left = int(k * stripe)
        cell[: upsample - 1, left : max(int((k + 1) * stripe) - 1, left + 1), c_bgr] = 1.0
    cell /= cell.mean(axis=(0, 1))  # the grid does not dim the screen on average
    screen = np.repeat(np.repeat(emitted, upsample, axis=0), upsample, axis=1) * np.tile(cell, (ph, pw, 1))
    screen = cv2.GaussianBlur(screen, (0, 0), 0.5)  # the cover glass
    bezel = int(upsample * pw * rng.uniform(0.03, 0.08))
    sheet = np.full((screen.shape[0] + 2 * bezel, screen.shape[1] + 2 * bezel, 3), rng.uniform(0.02, 0.08),
                    np.float32)
    sheet[bezel : bezel + screen.shape[0], bezel : bezel + screen.shape[1]] = screen
    scale_x, scale_y = upsample * pw / photo.shape[1], upsample * ph / photo.shape[0]
    return sheet, np.array([[scale_x, 0, bezel], [0, scale_y, bezel]])


def _banding(frame: np.ndarray, region: np.ndarray, rng: np.random.Generator, phase: float) -> np.ndarray:
    """Rolling-shutter refresh bands: a slow sinusoid over rows, only where the screen is."""
    period, depth = rng.uniform(40, 200), rng.uniform(0.03, 0.12)
    rows = np.arange(FRAME_H, dtype=np.float32)[:, None, None]
    return frame * (1 - region * depth * (0.5 + 0.5 * np.sin(2 * np.pi * rows / period + phase)))


def _around_face(photo: np.ndarray, face: Box, widths: float) -> tuple[np.ndarray, Box]:
    """The part of ``photo`` within ``widths`` face widths of the face (all a door camera would
    see of it), and the face box in that crop."""
    side = widths * max(face.w, face.h)
    x0 = int(max(0, face.x + face.w / 2 - side / 2))
    y0 = int(max(0, face.y + face.h / 2 - side / 2))
    x1 = int(min(photo.shape[1], face.x + face.w / 2 + side / 2))
    y1 = int(min(photo.shape[0], face.y + face.h / 2 + side / 2))
    return photo[y0:y1, x0:x1], Box(face.x - x0, face.y - y0, face.w, face.h)


def simulate_track(photo: np.ndarray, face: Box, backdrop: np.ndarray, kind: str, rng: np.random.Generator,
                   frames: int = 10) -> SimulatedTrack:
    """``frames`` consecutive 640x480 frames of ``photo`` (BGR uint8, ``face`` its face box) presented
    as ``kind``, over a room made from ``backdrop`` (another photo)."""
    if kind not in KINDS:
        raise ValueError(f"unknown presentation kind {kind!r}; expected one of {KINDS}")
    # a print shows the photo around the face; a phone screen is smaller, it shows the face
    photo, face = _around_face(photo, face, 3.2 if kind != "replay" else float(rng.uniform(1.6, 2.6)))
    camera = Camera.draw(rng)
    background = _background(backdrop, rng)
    # never blow the photo up: a camera resolves a live face finer than a small photo's pixels,
    # and an upscaled (soft) bona fide face would teach "any fine detail means an attack"
    face_px = min(rng.uniform(*FACE_WIDTH_PX), face.w)
    scale = face_px / face.w  # photo pixels -> frame pixels, at the sheet's/person's distance
    if kind == "bona_fide":
        sheet, to_sheet = _to_float(photo), np.array([[1.0, 0, 0], [0, 1.0, 0]])
        sheet_scale = scale
    elif kind == "print":
        # a print's dots are 0.2-0.7 camera pixels apart (a 150 lpi print of a 10 cm face seen
        # 120 px wide: 0.2; of a 4 cm face held close, seen 150 px wide: 0.65): the lens and the
        # sensor average them away but for some aliasing. The sheet's size bound may coarsen them.
        dots_per_camera_px = HALFTONE_PERIOD / rng.uniform(0.2, 0.7)
        upsample = float(min(scale * dots_per_camera_px, MAX_SHEET_PX / max(photo.shape[:2])))
        sheet, to_sheet = _print_sheet(photo, rng, upsample)
        sheet_scale = scale / upsample
    else:
        # a phone's pixels are 1.2-3.5 times finer than the camera's (a 400 ppi screen 30-50 cm
        # away); each is drawn as upsample x upsample sub-pixels
        upsample = int(rng.integers(3, 5))
        ratio = min(scale * rng.uniform(1.2, 3.5), MAX_SHEET_PX / upsample / max(photo.shape[:2]))
        sheet, to_sheet = _replay_sheet(photo, rng, ratio, upsample)
        sheet_scale = scale / to_sheet[0, 0]
    if sheet_scale < 0.6:  # shrink by area averaging first, as the lens and sensor integrate
        factor = int(0.9 / sheet_scale)
        sheet = cv2.resize(sheet, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
        to_sheet, sheet_scale = to_sheet / factor, sheet_scale * factor
    sheet_face = Box(face.x * to_sheet[0, 0] + to_sheet[0, 2], face.y * to_sheet[1, 1] + to_sheet[1, 2],
                     face.w * to_sheet[0, 0], face.h * to_sheet[1, 1])
    sheet_size = (sheet.shape[1], sheet.shape[0])
    # the face centre in the frame moves by a smooth random walk; a sheet also turns in 3-D
    start = np.array([FRAME_W / 2, FRAME_H * 0.45]) + rng.uniform(-80, 80, 2)
    velocity = rng.uniform(-6, 6, 2)
    angles = rng.uniform(-0.35, 0.35, 3) * ([1, 1, 0.3] if kind != "bona_fide" else [0, 0, 0.15])
    spin = rng.uniform(-0.03, 0.03, 3) * (kind != "bona_fide")
    zoom = rng.uniform(-0.01, 0.015)
    phase = rng.uniform(0, 2 * np.pi)
    jpegs: list[bytes] = []
    boxes: list[Box] = []
    for i in range(frames):
        centre_face = start + velocity * i
        yaw, pitch, roll = angles + spin * i
        s = sheet_scale * (1 + zoom * i)
        # place the sheet so that its face centre lands on centre_face
        probe = _homography_of_plane(sheet_size, (0.0, 0.0), s, yaw, pitch, roll)
        face_centre = np.array([[[sheet_face.x + sheet_face.w / 2, sheet_face.y + sheet_face.h / 2]]],
                               np.float32)
        dx, dy = centre_face - cv2.perspectiveTransform(face_centre, probe)[0, 0]
        homography = np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]]) @ probe
        scene = _warp_over(sheet, homography, background, 0.25 if kind == "bona_fide" else 0.0)
        if kind == "replay":
            region = cv2.warpPerspective(np.ones(sheet.shape[:2], np.float32), homography, (FRAME_W, FRAME_H))
            scene = _banding(scene, region[..., None], rng, phase + i * rng.uniform(0.5, 2.5))
        jpegs.append(camera.capture(scene, rng))
        boxes.append(_face_box_through(homography, sheet_face))
    return SimulatedTrack(kind, jpegs, boxes)


def simulate_tracks(photo: np.ndarray, face: Box, backdrop: np.ndarray, seed: int,
                    kinds: Sequence[str] = KINDS, frames: int = 10) -> list[SimulatedTrack]:
    """One track of each of ``kinds`` from the same photo, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    return [simulate_track(photo, face, backdrop, kind, rng, frames) for kind in kinds]
