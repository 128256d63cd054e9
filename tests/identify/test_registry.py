"""The backend registry drives the settings' union, the factory, the doctor and `edge emulate`."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config.settings import load_settings
from edge.errors import ConfigError
from edge.gallery.store import GalleryStore
from edge.identify.factory import build_backends
from edge.identify.registry import PLUGINS, plugin_for
from edge.service.doctor import run_checks
from tests.identify.test_door_threshold import settings as door_settings
from tests.support.cli import run_edge


def test_every_registered_backend_is_a_choice_of_the_settings_and_nothing_else_is() -> None:
    for plugin in PLUGINS:
        (section,) = load_settings(None, identify={"backends": [{"type": plugin.type}]}).identify.backends
        assert type(section) is plugin.settings
    with pytest.raises(ConfigError, match=r"identify\.backends\.0"):
        load_settings(None, identify={"backends": [{"type": "facepp"}]})
    with pytest.raises(KeyError):
        plugin_for("facepp")


def test_only_the_local_backend_is_on_the_device(tmp_path: Path) -> None:
    assert [p.type for p in PLUGINS if not p.cloud] == ["local"]
    # the record and what it builds agree (the chain asks the built backend)
    settings = door_settings(tmp_path)
    built = build_backends(settings, GalleryStore(tmp_path / "gallery.sqlite"))
    assert [(b.name, b.cloud) for b in built] == [(p.type, p.cloud) for p in PLUGINS]
    assert not load_settings(None).identify.has_cloud
    assert load_settings(None, identify={"backends": [{"type": "iai"}, {"type": "local"}]}).identify.has_cloud


def test_edge_emulate_offers_each_registered_emulator(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_edge(capsys, "emulate", "--help")
    assert code == 0
    listed = {line.split()[0] for line in out.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == {p.type for p in PLUGINS if p.emulator} == {"youtu", "sensetime", "iai"}
    code, out, _ = run_edge(capsys, "emulate", "sensetime", "--help")
    assert code == 0 and "--api-id" in out


def test_the_doctor_checks_each_backend_through_its_record(tmp_path: Path) -> None:
    # no credentials: each cloud record's check says which key is missing, the local one passes
    settings = load_settings(None, identify={"backends": [{"type": p.type} for p in PLUGINS]},
                             service={"state_dir": str(tmp_path)})
    results = {r.check: r for r in run_checks(settings, ["backends"])}
    assert list(results) == [f"backend {p.type}" for p in PLUGINS]
    assert results["backend local"].status == "ok"
    assert results["backend iai"].status == "fail" and "secret_id: required" in results["backend iai"].detail
    assert results["backend sensetime"].status == "fail" and "api_id" in results["backend sensetime"].detail
