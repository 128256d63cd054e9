"""`edge doctor` against the three cloud emulators on loopback: right keys pass, wrong keys fail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edge.config.settings import Settings, load_settings
from edge.emulators.common import ServerThread
from edge.emulators.iai.app import build as build_iai
from edge.emulators.sensetime.app import create_app as create_sensetime
from edge.emulators.sensetime.engine import VisionEngine as SenseTimeEngine
from edge.emulators.sensetime.settings import EmulatorSettings
from edge.emulators.youtu.app import build as build_youtu
from edge.service.doctor import run_checks
from tests.support.mosquitto import free_port

APPID = "1250000000"
SECRET_ID = "AKIDEXAMPLE"
SECRET_KEY = "SECRETKEYEXAMPLE"
API_ID = "0123456789abcdef0123456789abcdef"
API_SECRET = "fedcba9876543210fedcba9876543210"


@pytest.fixture(scope="module")
def clouds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The YouTu, IAI and SenseTime emulators, each serving one account, on free ports."""
    vision = load_settings(None).vision
    youtu = build_youtu(load_settings(None), tmp_path_factory.mktemp("youtu"), APPID, {SECRET_ID: SECRET_KEY})
    iai = build_iai(vision, tmp_path_factory.mktemp("iai"), {SECRET_ID: SECRET_KEY})
    sensetime = create_sensetime(EmulatorSettings(API_ID, API_SECRET, tmp_path_factory.mktemp("sensetime")),
                                 SenseTimeEngine(vision))
    try:
        with ServerThread(youtu) as y, ServerThread(iai.app) as i, ServerThread(sensetime) as s:
            yield {"youtu": y.url, "iai": i.url, "sensetime": s.url}
    finally:
        iai.close()


def cloud_settings(tmp_path: Path, clouds: dict[str, str], *, youtu_key: str = SECRET_KEY,
                   iai_key: str = SECRET_KEY, sensetime_secret: str = API_SECRET) -> Settings:
    backends: list[dict[str, Any]] = [
        {"type": "youtu", "base_url": clouds["youtu"], "appid": APPID, "secret_id": SECRET_ID,
         "secret_key": youtu_key, "retries": 0},
        {"type": "iai", "endpoint": clouds["iai"].removeprefix("http://"), "scheme": "http",
         "secret_id": SECRET_ID, "secret_key": iai_key},
        {"type": "sensetime", "base_url": clouds["sensetime"], "api_id": API_ID,
         "api_secret": sensetime_secret},
        {"type": "local"},
    ]
    return load_settings(None, identify={"backends": backends},
                         service={"state_dir": str(tmp_path / "state")})


def test_right_keys_pass_and_the_clock_is_read_from_the_first_cloud(
    tmp_path: Path, clouds: dict[str, str]
) -> None:
    results = {r.check: r for r in run_checks(cloud_settings(tmp_path, clouds), ["backends", "clock"])}
    assert {name: r.status for name, r in results.items()} == {
        "backend youtu": "ok", "backend iai": "ok", "backend sensetime": "ok", "backend local": "ok",
        "clock": "ok",
    }, results
    assert results["backend youtu"].detail.startswith("getgroupids answered")
    assert results["backend iai"].detail.startswith("GetGroupList answered")
    assert results["backend sensetime"].detail.startswith("/info/api answered")
    assert clouds["youtu"] in results["clock"].detail


def test_wrong_keys_are_refused_with_a_hint(tmp_path: Path, clouds: dict[str, str]) -> None:
    settings = cloud_settings(tmp_path, clouds, youtu_key="WRONGKEYWRONGKEY", iai_key="WRONGKEYWRONGKEY",
                              sensetime_secret="0" * 32)
    results = {r.check: r for r in run_checks(settings, ["backends"])}
    for name in ("backend youtu", "backend iai", "backend sensetime"):
        assert results[name].status == "fail", results[name]
        assert results[name].detail.startswith("refused:")
        assert "secret key" in results[name].hint
    assert results["backend local"].status == "ok"
    assert "WRONGKEY" not in " ".join(r.detail + r.hint for r in results.values())


def test_missing_credentials_and_unreachable_cloud(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings = load_settings(None, identify={"backends": [
        {"type": "youtu", "base_url": closed, "appid": APPID, "secret_id": SECRET_ID,
         "secret_key": SECRET_KEY, "retries": 0},
        {"type": "iai", "endpoint": closed.removeprefix("http://"), "scheme": "http"},
    ]})
    youtu, iai = run_checks(settings, ["backends"])
    assert youtu.status == "fail" and youtu.detail.startswith("unreachable") and closed in youtu.hint
    assert iai.status == "fail" and "secret_id: required" in iai.detail and "credentials" in iai.hint


def test_a_rate_limited_cloud_is_a_warning_by_its_error_family(tmp_path: Path) -> None:
    # one request a second: the doctor's second look lands inside the vendor's limit (YouTu 15)
    youtu = build_youtu(load_settings(None), tmp_path / "youtu", APPID, {SECRET_ID: SECRET_KEY},
                        max_requests_per_s=1.0)
    with ServerThread(youtu) as running:
        settings = load_settings(None, identify={"backends": [
            {"type": "youtu", "base_url": running.url, "appid": APPID, "secret_id": SECRET_ID,
             "secret_key": SECRET_KEY, "retries": 0}]})
        first, = run_checks(settings, ["backends"])
        second, = run_checks(settings, ["backends"])
    assert first.status == "ok", first
    assert second.status == "warn" and second.detail.startswith("rate-limited: 15"), second
    assert "fails over" in second.hint
