"""Where the shipped models live (a leaf module: settings import it without loading onnxruntime)."""

from __future__ import annotations

from pathlib import Path

# the ONNX models shipped with the package, with their manifest
DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
