"""DetectLiveFaceAccurate: a single-photo liveness ``Score`` from the texture PAD model.

The appliance's ``texture`` method (edge/vision/pad/texture.py, models/pad-texture) gives the
attack probability of one frame's face from colour-texture and frequency cues. Tencent's score is
0-100, higher = more likely a live person, with documented cuts [5, 10, 40, 70, 90] and 40
recommended. The probability is mapped piecewise linearly so that the model's own calibrated
threshold (its ONNX metadata: BPCER about 5% on simulated bona fide *tracks*) lands on 40:
attack probability 0 -> 100, the threshold -> 40, 1 -> 0. A client using the recommended cut
thus gets the model's operating point; the other documented cuts have no calibrated meaning
here. The model is trained on simulated prints and replays only and judges a single frame here
(the door fuses a track): a weak signal, see docs/pad.md and docs/iai.md.
"""

from __future__ import annotations

from typing import Any

from edge.emulators.iai import params as p
from edge.emulators.iai.api_error import ApiError
from edge.emulators.iai.service import Service
from edge.vision.image_io import is_grey
from edge.vision.pad.features import frame_features

Params = dict[str, Any]
RECOMMENDED_CUT = 40.0  # the documented recommended threshold of Score


def live_score(attack: float, threshold: float) -> float:
    """Tencent's 0-100 liveness score for an attack probability, the calibrated ``threshold``
    mapped onto the recommended cut (module docstring)."""
    if attack <= threshold:
        score = 100.0 - (100.0 - RECOMMENDED_CUT) * attack / threshold
    else:
        score = RECOMMENDED_CUT * (1.0 - attack) / (1.0 - threshold)
    return round(min(100.0, max(0.0, score)), 2)


def detect_live_face_accurate(svc: Service, params: Params) -> Params:
    """The largest face of the photo; a grey photo is refused (the model never saw a grey bona
    fide face and would call every one an attack), as is a face too small for the features."""
    version = p.model_version(params)
    p.require_v3(version, "Liveness detection")
    image = svc.image(params)
    face = svc.faces(image)[0]
    if is_grey(image):
        raise ApiError("FailedOperation.FaceQualityNotQualified", "A grey photo cannot be judged.")
    features = frame_features(image, face.detection.box)
    if features is None:
        raise ApiError("FailedOperation.FaceSizeTooSmall", "The face is too small to judge its liveness.")
    texture = svc.texture
    attack = float(texture.frame_probabilities(features[None])[0])
    return {"Score": live_score(attack, texture.threshold), "FaceModelVersion": version}
