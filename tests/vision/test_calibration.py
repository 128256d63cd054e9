"""The calibration table: computed from scored pairs, loaded with clear errors when broken."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from edge.errors import ConfigError, ModelError
from edge.eval.calibrate import all_pair_scores
from edge.identify.local.calibration import calibration_table, default_calibration_path, load_calibration
from edge.vision.config import DEFAULT_MODELS_DIR, VisionSettings


def test_table_thresholds_let_exactly_k_impostors_pass() -> None:
    impostor = np.linspace(0.0, 0.999, 1000)  # evenly spread, highest 0.999
    genuine = np.full(500, 0.9982)
    table = calibration_table(genuine, impostor)
    rows = table["rows"]
    assert [r["far"] for r in rows] == [0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001]
    for row in rows:
        passed = (impostor >= row["threshold"]).sum()
        assert passed == round(row["far"] * 1000)
        assert row["n_impostor"] == 1000
    assert rows[-1]["tar"] == 0.0 and rows[-2]["tar"] == 1.0  # 0.9982 < 0.9985, > 0.9975
    assert table["n_genuine"] == 500


def test_table_stops_where_the_data_stops() -> None:
    table = calibration_table(np.ones(50), np.linspace(0, 1, 50))
    assert min(r["far"] for r in table["rows"]) == pytest.approx(1 / 50)


def test_too_few_pairs_are_refused() -> None:
    with pytest.raises(ValueError, match="too few"):
        calibration_table([0.9] * 5, [0.1] * 5)


@pytest.mark.parametrize(("descriptor", "precision", "file", "model", "flip"), [
    ("dlib", None, "face-api-descriptor/calibration.json", "face-api-descriptor", True),
    ("facenet", "float32", "facenet/calibration.json", "facenet", False),
    ("facenet", None, "facenet/calibration-int8.json", "facenet-int8", False),
])
def test_each_shipped_table_loads_and_supports_the_default_policy(
        descriptor: str, precision: str | None, file: str, model: str, flip: bool) -> None:
    vision = VisionSettings(descriptor=descriptor, descriptor_precision=precision)
    assert default_calibration_path(vision) == DEFAULT_MODELS_DIR / file
    table = load_calibration(None, vision)
    assert table.scale == "cosine"
    assert table.threshold_for(1e-4).far == 1e-4  # measured, not clamped
    shipped = json.loads((DEFAULT_MODELS_DIR / file).read_text())
    assert shipped["descriptor"] == model and shipped["flip_test"] is flip


def test_missing_shipped_table_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="calibration-int8.json: missing"):
        load_calibration(None, VisionSettings(models_dir=tmp_path))


def test_missing_configured_table_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_calibration(tmp_path / "mine.json", VisionSettings())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not readable JSON"),
        ('{"scale": "0-100", "rows": []}', 'needs "scale": "cosine"'),
        ('{"scale": "cosine", "rows": {"a": 1}}', '"rows" must be a list'),
        ('{"scale": "cosine", "rows": [{"threshold": 0.5}]}', '"rows" must be a list'),
        ('{"scale": "cosine", "rows": [{"threshold": 0.5, "far": 0.1}]}', "at least two"),
        ('{"scale": "cosine", "rows": [{"threshold": 0.5, "far": 0.1}, {"threshold": 0.6, "far": 0.2}]}',
         "must fall"),
    ],
)
def test_malformed_tables_are_config_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "calibration.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_calibration(path, VisionSettings())


def test_identity_pairs_are_split_by_folder() -> None:
    a, b = np.array([1.0, 0.0]), np.array([0.6, 0.8])
    vectors = np.stack([a, b, b, a])
    genuine, impostor = all_pair_scores(vectors @ vectors.T, ["ann", "ann", "bob", "cy"])
    assert sorted(genuine.tolist()) == pytest.approx([0.6])
    # ann1-bob 0.6, ann1-cy 1.0, ann2-bob 1.0, ann2-cy 0.6, bob-cy 0.6
    assert sorted(impostor.tolist()) == pytest.approx([0.6, 0.6, 0.6, 1.0, 1.0])


def test_a_table_of_another_descriptor_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"descriptor": "face-api-descriptor", "scale": "cosine",
                                "rows": [{"threshold": 0.5, "far": 0.1}, {"threshold": 0.6, "far": 0.01}]}))
    assert load_calibration(path, VisionSettings(descriptor="dlib")).lowest_far == 0.01
    with pytest.raises(ConfigError, match="measured on descriptor model 'face-api-descriptor'.*run `edge "
                                          "calibrate`"):
        load_calibration(path, VisionSettings(descriptor="facenet"))
