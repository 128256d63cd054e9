"""FaceAnalyzer: the vision core in one object (detect, align, quality, describe; the retired
liveness signals only when ``vision.liveness.enabled``, their models not loaded otherwise).

Built once at start (models checked against the manifest, sessions created), then called per
frame. onnxruntime sessions may run from several threads at once and the analyzer keeps no
per-frame state, so a worker thread can analyse while another captures.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import onnxruntime as ort

from edge.vision.align import align, alignment_matrix
from edge.vision.config import VisionSettings
from edge.vision.descriptors import DESCRIPTORS, DLIB_CHIP, ChipGeometry
from edge.vision.detect import DETECTORS, BlazeFaceDetector
from edge.vision.embed import Descriptor, OnnxDescriptor
from edge.vision.liveness import LivenessSignals
from edge.vision.models import create_session, verified_model
from edge.vision.quality import assess
from edge.vision.types import LEFT_EYE, RIGHT_EYE, Detection, Face, Liveness, Quality


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Frames from grey/IR cameras, (H, W) or (H, W, 1), as three equal channels."""
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.shape[2] == 1:
        return np.repeat(image, 3, axis=2)
    return image


class FaceAnalyzer:
    def __init__(self, settings: VisionSettings) -> None:
        self.settings = settings

        def session(name: str) -> ort.InferenceSession:
            return create_session(verified_model(settings.models_dir, name), settings.threads,
                                  settings.providers)

        spec = DETECTORS[settings.detector]
        self.detector = BlazeFaceDetector(
            session(spec.model),
            spec,
            score_threshold=settings.score_threshold,
            nms_iou=settings.nms_iou,
            min_face_px=settings.min_face_px,
            tile_grid=settings.tile_grid,
        )
        model = settings.descriptor_model
        self.descriptor: Descriptor = OnnxDescriptor(model, DESCRIPTORS[settings.descriptor], session(model),
                                                     flip_test=settings.use_flip_test)
        self.liveness = (
            LivenessSignals(session("liveness"), session("antispoof")) if settings.liveness.enabled else None
        )

    def detect(self, image: np.ndarray) -> list[Detection]:
        """Faces in a BGR (or grey) frame, largest first."""
        detections = self.detector.detect(as_bgr(image))
        return sorted(detections, key=lambda d: d.box.w * d.box.h, reverse=True)

    def chips(self, image: np.ndarray, detections: list[Detection],
              geometry: ChipGeometry | None = None) -> np.ndarray:
        """(N, size, size, 3) aligned BGR chips of the detections (default: the descriptor's)."""
        geometry = geometry or self.descriptor.geometry
        size = geometry.size
        image = as_bgr(image)
        return np.array([align(image, d.keypoints, geometry) for d in detections], np.uint8).reshape(
            len(detections), size, size, 3
        )

    def describe(self, image: np.ndarray, detections: list[Detection]) -> np.ndarray:
        """(N, dim) L2-normalized embeddings of the detections, one batch."""
        return self.descriptor.describe(self.chips(image, detections)[:, :, :, ::-1])

    def analyze(self, image: np.ndarray, *, describe: bool = True,
                describe_rejected: bool = True,
                on_stage: Callable[[str, float], object] | None = None) -> list[Face]:
        """Every face of the frame, largest first, with quality, liveness (empty unless enabled)
        and (if asked) embedding.

        ``describe_rejected=False`` leaves the embedding of faces the quality gates reject at None:
        the door never identifies them, and the descriptor is the costliest stage per face.
        ``on_stage(name, seconds)`` receives the time of ``detect`` and, when faces were
        described, of ``describe`` (alignment, quality, descriptor and any liveness signals).
        """
        started = time.perf_counter()
        image = as_bgr(image)
        detections = self.detect(image)
        if on_stage is not None:
            on_stage("detect", time.perf_counter() - started)
        if not detections:
            return []
        started = time.perf_counter()
        gate_chips = self.chips(image, detections, DLIB_CHIP)  # the gates' thresholds are set on it
        qualities = [self._quality(chip, detection) for chip, detection in zip(gate_chips, detections)]
        wanted = [k for k, quality in enumerate(qualities) if describe and (describe_rejected or quality.ok)]
        embeddings: list[np.ndarray | None] = [None] * len(detections)
        if wanted:
            chosen = [detections[k] for k in wanted]
            chips = (gate_chips[wanted] if self.descriptor.geometry == DLIB_CHIP
                     else self.chips(image, chosen))
            described = self.descriptor.describe(chips[:, :, :, ::-1])
            for k, embedding in zip(wanted, described):
                embeddings[k] = embedding
        liveness = (self.liveness.score(image, detections) if self.liveness
                    else [Liveness()] * len(detections))
        if on_stage is not None:
            on_stage("describe", time.perf_counter() - started)
        return [Face(detection, quality, live, embedding)
                for detection, quality, live, embedding in zip(detections, qualities, liveness, embeddings)]

    def _quality(self, chip: np.ndarray, detection: Detection) -> Quality:
        matrix = alignment_matrix(detection.keypoints, DLIB_CHIP)
        chip_keypoints = detection.keypoints @ matrix[:, :2].T + matrix[:, 2]
        eyes = detection.keypoints[[RIGHT_EYE, LEFT_EYE]]
        eye_distance = float(np.linalg.norm(eyes[1] - eyes[0]))
        return assess(chip, chip_keypoints, eye_distance, self.settings.quality)

    @staticmethod
    def similarity(a: np.ndarray, b: np.ndarray) -> float:
        """Cosine similarity of two embeddings (dot product of unit vectors), -1..1."""
        return float(np.dot(a, b))
