"""Every backend's threshold states the same quantity: the door's 1:N false-accept rate
(docs/risk.md), whatever the table it reads; each built through the registry."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from edge.config.settings import Settings, load_settings
from edge.gallery.store import GalleryStore
from edge.identify.factory import build_backends
from edge.identify.thresholds import FarTable, door_threshold, one_to_n_far

POLICY = 1e-4
CREDENTIALS = {  # never used: computing a threshold calls no one
    "youtu": {"appid": "1250000000", "secret_id": "id", "secret_key": "key"},
    "sensetime": {"api_id": "0" * 32, "api_secret": "1" * 32},
    "iai": {"secret_id": "id", "secret_key": "key"},
}


def settings(tmp_path: Path, **overrides: dict[str, object]) -> Settings:
    backends = [{"type": "local"}] + [{"type": name, **fields, **overrides.get(name, {})}
                                      for name, fields in CREDENTIALS.items()]
    return load_settings(None, identify={"backends": backends},
                         service={"state_dir": str(tmp_path / "state")})


@pytest.fixture
def gallery(tmp_path: Path) -> GalleryStore:
    return GalleryStore(tmp_path / "gallery.sqlite")


@pytest.mark.parametrize("people", [1, 10])
def test_every_backend_states_the_policy_as_the_door_rate_where_its_table_reaches(
        tmp_path: Path, gallery: GalleryStore, people: int) -> None:
    for backend in build_backends(settings(tmp_path), gallery):
        threshold = backend.threshold(POLICY, people)
        assert math.isclose(threshold.far, POLICY, rel_tol=1e-6), (backend.name, threshold)


def test_a_table_that_stops_short_states_the_weaker_door_rate_never_a_per_comparison_one(
        tmp_path: Path, gallery: GalleryStore) -> None:
    # 100 people at 1e-4 need 1e-6 per comparison. SenseTime's table reaches it (0.9 -> 1e-6), and
    # its events once recorded that 1e-6; YouTu's stand-in stops at 1e-5 (80 -> 1e-4, 90 -> 1e-5)
    rates = {b.name: b.threshold(POLICY, 100) for b in build_backends(settings(tmp_path), gallery)}
    assert math.isclose(rates["sensetime"].far, POLICY, rel_tol=1e-6)
    assert rates["sensetime"].score == pytest.approx(0.9, abs=1e-4)
    assert math.isclose(rates["youtu"].far, one_to_n_far(1e-5, 100)) and rates["youtu"].score == 90
    assert math.isclose(rates["iai"].far, POLICY, rel_tol=1e-6)
    assert math.isclose(rates["local"].far, POLICY, rel_tol=1e-6)


def test_each_event_names_the_table_that_set_its_cut(tmp_path: Path, gallery: GalleryStore) -> None:
    backends = build_backends(settings(tmp_path), gallery)
    assert {b.name: b.threshold(POLICY, 10).calibration for b in backends} == {
        "local": "shipped", "youtu": "documented", "sensetime": "documented", "iai": "documented"}
    table = {"score_table": [[0.5, 1e-3], [0.99, 1e-9]]}
    operator = settings(tmp_path, youtu={"score_table": [[50, 1e-3], [99, 1e-9]]}, sensetime=table)
    labels = {b.name: b.threshold(POLICY, 10).calibration for b in build_backends(operator, gallery)}
    assert labels["youtu"] == labels["sensetime"] == "configured"


def test_a_vendor_table_for_a_whole_search_is_read_at_its_own_gallery_size() -> None:
    # a 1:N table stated for searches of 10,000 entries: 1e-4 over 10,000 people is its own row
    table = FarTable.from_pairs("0-100", [(70, 1e-2), (80, 1e-3), (90, 1e-4)])
    cut = door_threshold(table, POLICY, 10_000, table_comparisons=10_000)
    assert cut.score == pytest.approx(90) and cut.far == pytest.approx(POLICY)
    smaller = door_threshold(table, POLICY, 100, table_comparisons=10_000)  # 100 people: room to spare
    assert smaller.score < 80 and smaller.far == pytest.approx(POLICY)


def test_an_api_floor_above_the_cut_states_the_floor_rate() -> None:
    table = FarTable.from_pairs("0-1", [(0.4, 1e-1), (0.6, 1e-3), (0.9, 1e-6)])
    cut = door_threshold(table, 1e-2, 1, min_score=0.6)  # 1e-2 needs 0.5; the API answers above 0.6
    assert cut.score == 0.6 and cut.far == pytest.approx(1e-3)
