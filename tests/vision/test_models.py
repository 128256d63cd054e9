"""The sha256 check refuses missing or altered models; sessions fall back to the CPU."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from edge.errors import ModelError
from edge.vision.config import DEFAULT_MODELS_DIR, VisionSettings
from edge.vision.models import create_session, load_manifest, verified_model
from edge.vision.pipeline import FaceAnalyzer


@pytest.fixture
def models_copy(tmp_path: Path) -> Path:
    target = tmp_path / "models"
    shutil.copytree(DEFAULT_MODELS_DIR, target, ignore=shutil.ignore_patterns("tools", "fixtures", "*.npy"))
    return target


def test_every_shipped_model_matches_the_manifest() -> None:
    for name in load_manifest(DEFAULT_MODELS_DIR):
        assert verified_model(DEFAULT_MODELS_DIR, name).is_file()


def test_altered_model_is_refused_naming_the_file(models_copy: Path) -> None:
    path = models_copy / "facenet" / "facenet-int8.onnx"  # the default descriptor's
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    altered = r"facenet-int8\.onnx: altered: sha256 [0-9a-f]{64} != manifest [0-9a-f]{64}"
    with pytest.raises(ModelError, match=altered):
        FaceAnalyzer(VisionSettings(models_dir=models_copy))


def test_missing_model_is_refused_naming_the_file(models_copy: Path) -> None:
    (models_copy / "facemesh-detection-full" / "facemesh-detection-full.onnx").unlink()
    with pytest.raises(ModelError, match=r"facemesh-detection-full\.onnx: missing"):
        FaceAnalyzer(VisionSettings(models_dir=models_copy))


def test_missing_manifest_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"manifest\.json: missing"):
        verified_model(tmp_path, "liveness")


def test_unavailable_provider_warns_and_runs_on_cpu(caplog: pytest.LogCaptureFixture) -> None:
    path = verified_model(DEFAULT_MODELS_DIR, "liveness")
    with caplog.at_level(logging.WARNING):
        session = create_session(path, threads=1, providers=["TensorrtExecutionProvider"])
    assert session.get_providers() == ["CPUExecutionProvider"]
    assert "TensorrtExecutionProvider not available" in caplog.text
