"""The ``texture`` PAD method: colour texture and frequency cues of a recaptured face.

Per frame, ``features.frame_features`` (LBP in YCrCb/HSV, radial spectrum, colour statistics of
the face and of a ring around it) go through a small classifier (``models/pad-texture``, ONNX,
trained only on simulated prints and screen replays of shared photos) that gives the probability
the frame shows an attack. Over a track the frames' logits are averaged (the last ``max_frames``
usable frames): one blurred or glare-free frame does not decide alone. Grey frames (a camera in
night mode, under its IR light) are not judged: the classifier never saw a grey bona fide face,
so it would call every one an attack; a grey face in a colour frame (a black-and-white print) is.

The default operating point is the one calibrated at training (BPCER about 5% on simulated bona
fide tracks), stored in the model's ONNX metadata (``threshold``) and so covered by the
manifest's sha256; ``threshold`` in the settings overrides it (``edge pad calibrate`` per site).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, PrivateAttr

from edge.errors import ModelError
from edge.vision.image_io import is_grey
from edge.vision.pad.base import PadFrame, PadScore
from edge.vision.pad.features import FEATURE_DIM, frame_features
from edge.vision.pad.memo import FrameMemo
from edge.vision.pad.plugin import MethodSettings
from edge.vision.paths import DEFAULT_MODELS_DIR

MODEL_NAME = "pad-texture"
EPSILON = 1e-6


class TextureSettings(MethodSettings):
    type: Literal["texture"] = "texture"
    threshold: float | None = Field(  # type: ignore[assignment]
        None, gt=0, lt=1,
        description="Attack when the track's fused attack probability >= this; unset = the model's "
        "calibrated default (BPCER about 5% on simulated bona fide tracks, models/pad-texture/README.md)",
    )
    max_frames: int = Field(10, ge=1, le=100, description="Use at most the last N usable frames of a track")
    min_frames: int = Field(1, ge=1, le=100, description="Fewer usable frames than this: undecided")
    models_dir: Path | None = Field(None, description="Folder with pad-texture.onnx and the manifest "
                                    "(unset: vision.models_dir)")
    # vision.models_dir, set by VisionSettings; private, so the example and `config show` keep
    # models_dir unset and it follows vision.models_dir wherever the file moves it
    _vision_models_dir: Path = PrivateAttr(DEFAULT_MODELS_DIR)

    def build(self) -> TextureMethod:
        return TextureMethod(self, self.models_dir or self._vision_models_dir)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPSILON, 1 - EPSILON)
    return np.log(p / (1 - p))


def _usable_features(frame: PadFrame) -> np.ndarray | None:
    return None if is_grey(frame.image) else frame_features(frame.image, frame.detection.box)


class TextureMethod:
    """Scores a track with the texture/frequency classifier (see the module docstring)."""

    name = "texture"
    window = 1

    def __init__(self, settings: TextureSettings, models_dir: Path, threads: int = 1) -> None:
        from edge.vision.models import create_session, verified_model  # onnxruntime only when used

        path = verified_model(models_dir, MODEL_NAME)
        self.session = create_session(path, threads)
        self.input_name = self.session.get_inputs()[0].name
        width = self.session.get_inputs()[0].shape[1]
        if width != FEATURE_DIM:
            raise ModelError(f"{path}: expects {width} features, the code computes {FEATURE_DIM}")
        metadata = self.session.get_modelmeta().custom_metadata_map
        if "threshold" not in metadata:
            raise ModelError(f"{path}: no calibrated 'threshold' in the model's metadata")
        default = float(metadata["threshold"])
        self.threshold = settings.threshold if settings.threshold is not None else default
        self.settings = settings
        self._features: FrameMemo[np.ndarray | None] = FrameMemo()

    def frame_probabilities(self, features: np.ndarray) -> np.ndarray:
        """Attack probability of each row of ``features`` (N, FEATURE_DIM) float32 -> (N,)."""
        (probabilities,) = self.session.run(None, {self.input_name: features.astype(np.float32, copy=False)})
        return np.asarray(probabilities[:, 1], np.float64)  # columns: bona fide, attack

    def digest(self, frame: PadFrame) -> np.ndarray | None:
        """The frame's features (remembered); None when the frame is grey or its face unusable."""
        return self._features.get((frame,), partial(_usable_features, frame))

    def score(self, track: Sequence[PadFrame]) -> PadScore | None:
        rows = [f for f in map(self.digest, track) if f is not None]
        rows = rows[-self.settings.max_frames :]
        if len(rows) < self.settings.min_frames:
            return None
        per_frame = self.frame_probabilities(np.stack(rows))
        attack = float(1 / (1 + np.exp(-_logit(per_frame).mean())))
        return PadScore(self.name, round(attack, 4), self.threshold, len(rows), {
            "frame_attack_min": round(float(per_frame.min()), 4),
            "frame_attack_max": round(float(per_frame.max()), 4),
        })
