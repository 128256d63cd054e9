"""Camera settings as a site writes them: one environment override, a switch to picamera2."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from edge.capture.config import OpenCVSourceConfig, Picamera2SourceConfig
from edge.config.settings import load_settings
from tests.support.cli import run_edge


def test_one_source_key_from_the_environment_means_the_default_source(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_CAMERA__SOURCE__REALTIME", "false")
    source = load_settings(None).camera.source
    assert isinstance(source, OpenCVSourceConfig) and source.realtime is False


def test_the_environment_overrides_a_key_of_the_files_source(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "edge.toml"
    config.write_text('[camera.source]\ntype = "picamera2"\n')
    monkeypatch.setenv("EDGE_CAMERA__SOURCE__WIDTH", "640")
    source = load_settings(config).camera.source
    assert isinstance(source, Picamera2SourceConfig) and source.width == 640


def test_the_picamera2_example_holds_only_its_own_keys(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "edge.toml"
    code, _, err = run_edge(capsys, "config", "example", "--source", "picamera2", "--output", str(config))
    assert code == 0, err
    source = tomllib.loads(config.read_text())["camera"]["source"]
    assert source["type"] == "picamera2" and "uri" not in source and "realtime" not in source
    assert isinstance(load_settings(config).camera.source, Picamera2SourceConfig)  # no unknown key
