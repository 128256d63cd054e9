"""A policy the calibration cannot meet: the door lets nobody in, and says so everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.config.settings import Settings, load_settings
from edge.events.memory import ListSink
from edge.gallery.store import GalleryStore
from edge.service.doctor_local import policy as policy_check
from edge.service.health import HealthState
from edge.service.metrics import Metrics
from edge.vision.pipeline import FaceAnalyzer
from tests.loop.conftest import FACES, SequenceWriter, frame_of, run_folder
from tests.support.cli import run_edge

OBAMA = FACES / "Barack_Obama" / "3.jpg"


def shallow_table(tmp_path: Path) -> Path:
    """A calibration that reaches no lower than 1e-3 per comparison."""
    path = tmp_path / "shallow.json"
    path.write_text(json.dumps({"scale": "cosine", "rows": [{"threshold": 0.80, "far": 0.1},
                                                             {"threshold": 0.88, "far": 1e-3}]}))
    return path


def door_settings(tmp_path: Path, **access: object) -> Settings:
    """PAD off: the frames are a still photo pasted on a grey wall (see tests/loop/conftest.py)."""
    return load_settings(
        None,
        vision={"pad": {"enabled": False}},
        device={"id": "door-test", "door": "front"},
        service={"state_dir": str(tmp_path / "state"), "health_port": 0},
        mqtt={"enabled": False},
        identify={"backends": [{"type": "local", "calibration": str(shallow_table(tmp_path))}]},
        calibration={"enabled": False},
        gallery={"path": str(tmp_path / "gallery.sqlite")},
        access={"groups": ["default"], **access},
    )


def play(settings: Settings, folder: Path, analyzer: FaceAnalyzer, gallery: GalleryStore,
         metrics: Metrics | None = None) -> ListSink:
    sink = ListSink()
    run_folder(settings, folder, analyzer, gallery, [sink], metrics)
    return sink


def test_a_policy_the_calibration_cannot_meet_denies_and_is_reported(
        tmp_path: Path, analyzer: FaceAnalyzer, gallery: GalleryStore, write_sequence: SequenceWriter
) -> None:
    settings = door_settings(tmp_path)
    health = HealthState.from_settings(settings.service)
    metrics = Metrics(health)
    frames = write_sequence([frame_of(OBAMA, shift=2 * i) for i in range(8)])
    sink = play(settings, frames, analyzer, gallery, metrics)
    outcomes = [(e.decision, e.reason, e.person_id) for e in sink.events]
    assert outcomes == [("denied", "policy_unreachable", None)]
    match = sink.events[0].match
    assert match is not None and match.false_accept > settings.access.max_false_accept
    assert any("policy_unreachable" in r for r in health.report().reasons)
    assert b"edge_false_accept_in_force" in metrics.exposition()


def test_an_explicitly_accepted_weaker_rate_grants_and_records_the_rate_in_force(
        tmp_path: Path, analyzer: FaceAnalyzer, gallery: GalleryStore, write_sequence: SequenceWriter
) -> None:
    settings = door_settings(tmp_path, accept_false_accept_up_to=0.01)
    frames = write_sequence([frame_of(OBAMA, shift=2 * i) for i in range(8)])
    sink = play(settings, frames, analyzer, gallery)
    assert [(e.decision, e.reason, e.person_id) for e in sink.events] == [("granted", "recognized", "obama")]
    match = sink.events[0].match
    assert match is not None and settings.access.max_false_accept < match.false_accept <= 0.01


def test_config_check_and_doctor_say_the_policy_cannot_be_met(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        gallery: GalleryStore) -> None:
    config = tmp_path / "edge.toml"
    config.write_text(f'[gallery]\npath = "{tmp_path / "gallery.sqlite"}"\n[calibration]\nenabled = false\n'
                      f'[[identify.backends]]\ntype = "local"\ncalibration = "{shallow_table(tmp_path)}"\n')
    code, _, err = run_edge(capsys, "--config", str(config), "config", "check")
    assert code == 2 and "access.max_false_accept: 0.0001 cannot be met by the local backend" in err
    results = list(policy_check(load_settings(config)))
    assert [r.status for r in results] == ["fail"] and "policy_unreachable" in results[0].detail
    looser = config.read_text().replace("[calibration]", "[access]\nmax_false_accept = 0.01\n[calibration]")
    config.write_text(looser)
    code, out, _ = run_edge(capsys, "--config", str(config), "config", "check")
    assert code == 0 and "settings OK" in out
