"""Settings of the vision core."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from edge.config.base import Section
from edge.vision.pad.config import PadSettings
from edge.vision.pad.texture import TextureSettings
from edge.vision.paths import DEFAULT_MODELS_DIR

log = logging.getLogger(__name__)


class QualitySettings(Section):
    min_interocular_px: float = Field(12.0, ge=0, description="Smallest eye distance in the frame")
    min_sharpness: float = Field(
        15.0,
        ge=0,
        description="Smallest variance of the Laplacian on the aligned 150 px crop (LFW faces: "
        "median 41, 5% below 17; a Gaussian blur of sigma 3 on a 100 px face gives about 10)",
    )
    max_yaw_deg: float = Field(35.0, gt=0, le=90)
    max_pitch_deg: float = Field(30.0, gt=0, le=90)
    min_brightness: float = Field(40.0, ge=0, le=255, description="Mean grey level, lower bound")
    max_brightness: float = Field(215.0, ge=0, le=255, description="Mean grey level, upper bound")
    min_lower_face_skin: float = Field(
        0.08,
        ge=0,
        le=1,
        description="Occlusion (a mask, a scarf): least fraction of the mouth-and-chin region with the "
        "colour of the forehead or of the skin under the eyes (bare faces: median 0.77 on LFW; 0.4% "
        "of LFW DevTest and of East Asian strangers below 0.08; 0 = off; edge/vision/occlusion.py)",
    )
    max_eyes_dark: float = Field(
        0.8,
        ge=0,
        le=1,
        description="Occlusion (sunglasses): largest fraction of the eye regions darker than half the "
        "skin's brightness (bare faces: median 0.25 on LFW; 0.8% of LFW DevTest faces without dark "
        "glasses above 0.8; 1 = off)",
    )


class LivenessSettings(Section):
    enabled: bool = Field(
        False, description="Load the two retired single-frame liveness models and score every face "
        "(recorded in the access event only, no defence: PAD is; for measurement)"
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_retired_min_live(cls, data: Any) -> Any:
        """``min_live`` gated the cloud-taught cache until PAD did; the files ``edge config
        example`` wrote still carry it, so an upgraded door ignores it (with a warning) rather
        than refuse to start."""
        if isinstance(data, dict) and "min_live" in data:
            log.warning("vision.liveness.min_live is retired and ignored (PAD judges every track "
                        "before the cache learns): remove it from the settings")
            data = {k: v for k, v in data.items() if k != "min_live"}
        return data


class VisionSettings(Section):
    models_dir: Path = Field(DEFAULT_MODELS_DIR, description="Folder with the ONNX models and manifest")
    detector: Literal["full", "short"] = Field(
        "full", description="'full' = full-range BlazeFace (default); 'short' = close-up kiosks"
    )
    score_threshold: float = Field(
        0.5, gt=0, lt=1, description="Detector score threshold (MediaPipe's default for BlazeFace)"
    )
    nms_iou: float = Field(0.3, gt=0, lt=1)
    min_face_px: int = Field(24, ge=8, description="Smallest face width reported, in pixels")
    tile_grid: int = Field(
        0,
        ge=0,
        le=4,
        description="Second detection pass on an n x n grid of overlapping tiles, for small faces "
        "in large frames (0 = off; 2 costs about 4 more detector runs)",
    )
    descriptor: Literal["dlib", "facenet"] = Field(
        "facenet",
        description="Face descriptor: 'facenet' (FaceNet, Inception-ResNet-v1; weights MIT, trained on "
        "MS-Celeb-1M, a research-only data set withdrawn in 2019) or 'dlib' (face-api's port of "
        "dlib's ResNet, public-domain weights). A gallery keeps the descriptor model it was enrolled "
        "with: changing this or the precision means enrolling again (docs/vision.md)",
    )
    descriptor_precision: Literal["float32", "int8"] | None = Field(
        None,
        description="Empty = the descriptor's default (facenet: int8, dlib: float32). facenet 'int8' "
        "(statically quantized) costs about what dlib with the flip test does, 'float32' about 1.7x "
        "per frame and 170 MB more memory for the same accuracy (docs/vision.md)",
    )
    flip_test: bool | None = Field(
        None,
        description="Describe the face and its mirror image (twice the time); empty = the "
        "descriptor's default (dlib: on, facenet: off: it adds little there)",
    )
    threads: int = Field(1, ge=1, le=64, description="onnxruntime intra-op threads per model")
    providers: list[str] = Field(
        default_factory=lambda: ["CPUExecutionProvider"],
        description="onnxruntime execution providers in order (CUDA/TensorRT on a Jetson)",
    )
    max_image_pixels: int = Field(
        40_000_000, gt=0, description="Images larger than this are refused from their header"
    )
    quality: QualitySettings = Field(default_factory=QualitySettings)
    liveness: LivenessSettings = Field(default_factory=LivenessSettings)
    pad: PadSettings = Field(default_factory=PadSettings)

    @model_validator(mode="after")
    def _texture_reads_these_models(self) -> VisionSettings:
        for method in self.pad.methods:
            if isinstance(method, TextureSettings):
                method._vision_models_dir = self.models_dir
        return self

    @model_validator(mode="after")
    def _precision_exists(self) -> VisionSettings:
        from edge.vision.descriptors import DESCRIPTORS

        built = DESCRIPTORS[self.descriptor].models
        if self.precision not in built:
            raise ValueError(f"descriptor_precision '{self.precision}': the {self.descriptor} "
                             f"descriptor is built for {', '.join(sorted(built))} only")
        return self

    @property
    def precision(self) -> str:
        """``descriptor_precision``, or the descriptor's default when it is empty."""
        from edge.vision.descriptors import DESCRIPTORS

        return self.descriptor_precision or DESCRIPTORS[self.descriptor].precision

    @property
    def descriptor_model(self) -> str:
        """The manifest name of the descriptor model these settings run (galleries record it)."""
        from edge.vision.descriptors import DESCRIPTORS

        return DESCRIPTORS[self.descriptor].model(self.precision)

    @property
    def use_flip_test(self) -> bool:
        from edge.vision.descriptors import DESCRIPTORS

        return DESCRIPTORS[self.descriptor].flip_test if self.flip_test is None else self.flip_test
