"""DetectLiveFaceAccurate through the official SDK: the texture PAD model's attack probability on
Tencent's 0-100 scale, its calibrated threshold on the recommended cut 40 (edge/emulators/iai/live.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tencentcloud.iai.v20200303.iai_client import IaiClient

from edge.emulators.iai.live import live_score
from edge.vision.image_io import decode_image
from edge.vision.pad.features import frame_features
from edge.vision.pad.texture import TextureMethod, TextureSettings
from edge.vision.pipeline import FaceAnalyzer
from tests.iai.conftest import b64, call, error_code, jpeg, photo

PAD = Path(__file__).parents[1] / "fixtures" / "pad-texture"  # simulated attacks of the fixture faces
BONA_FIDE = ("bona_fide_biden.jpg", "bona_fide_collins.jpg")
ATTACKS = ("print_biden.jpg", "print_collins.jpg", "print_obama.jpg", "replay_biden.jpg", "replay_obama.jpg")


def test_the_calibrated_threshold_lands_on_the_recommended_cut() -> None:
    t = 0.36
    assert (live_score(0.0, t), live_score(t, t), live_score(1.0, t)) == (100.0, 40.0, 0.0)
    scores = [live_score(a, t) for a in np.linspace(0, 1, 101)]
    assert all(a >= b for a, b in zip(scores, scores[1:]))  # more attack-like, lower score


@pytest.mark.parametrize("name", BONA_FIDE + ATTACKS)
def test_score_is_the_texture_models_judgement_of_the_largest_face(
    client: IaiClient, analyzer: FaceAnalyzer, name: str
) -> None:
    data = (PAD / name).read_bytes()
    score = call(client, "DetectLiveFaceAccurate", Image=b64(data)).Score
    image = decode_image(data, max_pixels=10**8)
    texture = TextureMethod(TextureSettings(), analyzer.settings.models_dir)
    features = frame_features(image, analyzer.detect(image)[0].box)
    assert features is not None
    attack = float(texture.frame_probabilities(features[None])[0])
    assert score == live_score(attack, texture.threshold)
    # on these simulated fixtures the model's cut separates them (a weak single-frame signal)
    assert (score > 40) == (name in BONA_FIDE)


def test_model_2_grey_photos_and_faceless_photos_are_refused(client: IaiClient) -> None:
    obama = photo("Barack_Obama/1")
    assert error_code(client, "DetectLiveFaceAccurate", Image=b64(obama), FaceModelVersion="2.0") == (
        "InvalidParameterValue.FaceModelVersionIllegal"
    )
    colour = decode_image(obama, max_pixels=10**8)
    grey = colour.mean(axis=2, keepdims=True).repeat(3, axis=2).astype(np.uint8)
    assert error_code(client, "DetectLiveFaceAccurate", Image=b64(jpeg(grey))) == (
        "FailedOperation.FaceQualityNotQualified"
    )
    blank = np.full((240, 320, 3), 128, np.uint8)
    assert error_code(client, "DetectLiveFaceAccurate", Image=b64(jpeg(blank))) == (
        "InvalidParameterValue.NoFaceInPhoto"
    )
