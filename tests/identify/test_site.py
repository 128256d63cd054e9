"""Site calibration on a synthetic population that scores higher than the shipped table's, the
stricter-of rule, fusion of a track's frames, and the cohort store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from edge.gallery.codec import KEY_BYTES
from edge.gallery.cohort import CohortStore
from edge.gallery.store import GalleryStore
from edge.identify.fusion import TrackFusion, fuse
from edge.identify.local.policy import policy_threshold
from edge.identify.local.recalibrate import SiteCalibrator
from edge.identify.local.site import calibrate_site, impostor_scores, stricter
from edge.identify.thresholds import FarTable

DIM = 32
SHIPPED = FarTable.from_pairs("cosine", [(0.30, 0.1), (0.45, 1e-4), (0.55, 1e-8)])


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


class Population:
    """Faces whose impostor scores sit far above the shipped table's: a shared direction."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.common = self.rng.normal(size=DIM)

    def identity(self) -> np.ndarray:
        return self.rng.normal(size=DIM)

    def faces(self, identity: np.ndarray, n: int) -> np.ndarray:
        return unit(self.common * 3 + identity * 1.2 + self.rng.normal(size=(n, DIM)) * 0.35)


def enrolled(tmp_path: Path, population: Population, people: int) -> GalleryStore:
    store = GalleryStore(tmp_path / "gallery.sqlite")
    for i in range(people):
        store.add_person(f"p{i}", f"P {i}", ["staff"])
        for face in population.faces(population.identity(), 3):
            store.add_face(f"p{i}", face, "enrolled")
    return store


def test_a_population_scoring_higher_than_the_shipped_table_gets_its_own_cut(tmp_path: Path) -> None:
    population = Population(0)
    with enrolled(tmp_path, population, 30) as store:
        view = store.snapshot().view(None)
        cohort = np.concatenate([population.faces(population.identity(), 1) for _ in range(1500)])
        site = calibrate_site(view, cohort)
        policy = 1e-2
        door = policy_threshold(SHIPPED, site, policy, view.n_persons)
        shipped_only = policy_threshold(SHIPPED, None, policy, view.n_persons)
        assert door.calibration == "site+shipped" and door.meets_policy
        strangers = np.concatenate([population.faces(population.identity(), 1) for _ in range(20_000)])
        best = (strangers @ view.templates.T).max(axis=1)
        measured, shipped_measured = np.mean(best >= door.score), np.mean(best >= shipped_only.score)
        assert shipped_measured > 50 * policy  # the shipped cut alone lets most strangers in
        assert measured <= 2 * door.fpir and door.fpir <= policy * (1 + 1e-9)  # the stated rate holds


def test_stricter_takes_the_higher_cut_rate_by_rate() -> None:
    site = FarTable.from_pairs("cosine", [(0.6, 1e-2), (0.7, 1e-4), (0.8, 1e-7)])
    combined = stricter(site, SHIPPED)
    assert combined.threshold_for(1e-2).score == pytest.approx(0.6)
    assert combined.threshold_for(1e-7).score == pytest.approx(0.8)
    lenient_site = FarTable.from_pairs("cosine", [(0.1, 1e-2), (0.2, 1e-8)])
    assert stricter(lenient_site, SHIPPED).threshold_for(1e-4).score == pytest.approx(0.45)


def test_impostor_scores_leave_out_each_face_s_own_person(tmp_path: Path) -> None:
    population = Population(1)
    with enrolled(tmp_path, population, 4) as store:
        view = store.snapshot().view(None)
        assert len(impostor_scores(view)) == 12 * 3  # 12 faces, each against the 3 other people
        assert len(impostor_scores(view, population.faces(population.identity(), 5))) == 36 + 5 * 4


def test_the_calibrator_recalibrates_when_enrollment_changes(tmp_path: Path) -> None:
    population = Population(2)
    with enrolled(tmp_path, population, 30) as store:
        calibrator = SiteCalibrator(store, tmp_path / "site.json")
        assert calibrator.due()
        first = calibrator.refresh()
        assert not calibrator.due() and first.table is not None
        assert SiteCalibrator(store, tmp_path / "site.json")._current == first  # stored, thresholds only
        store.add_person("new", "New", ["staff"])
        store.add_face("new", population.faces(population.identity(), 1)[0], "enrolled")
        assert calibrator.due()


def test_fusion_is_a_weighted_mean_of_unit_vectors_within_the_window() -> None:
    a, b = unit(np.eye(DIM)[0]), unit(np.eye(DIM)[1])
    assert fuse([a, b], [3, 1]) == pytest.approx(unit(3 * a + b))
    fusion = TrackFusion(max_frames=3, window_s=1.0)
    fusion.add(7, 0.0, a)
    fused, n = fusion.add(7, 0.5, b)
    assert n == 2 and fused == pytest.approx(unit(a + b))
    _, n = fusion.add(7, 1.8, b)  # the frames of t=0 and t=0.5 left the window
    assert n == 1
    fusion.forget(set())
    assert fusion.add(7, 2.0, a)[1] == 1


def test_the_cohort_keeps_descriptors_only_within_its_bound_and_retention(tmp_path: Path) -> None:
    now = [1000.0]
    key = bytes(range(KEY_BYTES))
    cohort = CohortStore(tmp_path / "cohort.sqlite", key, max_faces=3, retention_s=100, clock=lambda: now[0])
    vectors = unit(np.random.default_rng(3).normal(size=(5, DIM)))
    for i, vector in enumerate(vectors):
        now[0] = 1000.0 + i
        cohort.add(vector)
    kept = cohort.vectors()
    assert len(cohort) == 3 and kept == pytest.approx(vectors[2:], abs=2e-3)  # the newest three
    now[0] = 1103.5  # the first two kept are now older than the retention
    assert len(cohort.vectors()) == 1
    cohort.close()
    db = sqlite3.connect(tmp_path / "cohort.sqlite")
    assert [c[1] for c in db.execute("PRAGMA table_info(cohort)")] == ["id", "created", "blob"]
    (blob,) = db.execute("SELECT blob FROM cohort").fetchone()
    assert len(blob) == 12 + DIM * 2 + 16  # nonce, a float16 vector, the tag: no image fits here
    assert vectors[4].astype("<f2").tobytes() not in blob  # sealed, not in the clear
    assert (tmp_path / "cohort.sqlite").stat().st_mode & 0o077 == 0


def test_a_person_seen_as_a_stranger_before_enrollment_leaves_the_cohort(tmp_path: Path) -> None:
    """Their earlier visits are genuine scores, not impostor ones: kept, the newcomer's own
    faces would sit at the top of the impostor tail and raise the cut for everyone."""
    population, now = Population(4), [1000.0]
    with enrolled(tmp_path, population, 30) as store:
        cohort = CohortStore(tmp_path / "cohort.sqlite", None, max_faces=5000, retention_s=1e9,
                             clock=lambda: now[0])
        for face in np.concatenate([population.faces(population.identity(), 1) for _ in range(300)]):
            cohort.add(face)
        newcomer = population.faces(population.identity(), 1)[0]
        visits = unit(newcomer + np.random.default_rng(5).normal(size=(4, DIM)) * 0.02)
        for face in visits:
            cohort.add(face)
        door_cut = lambda site, people: policy_threshold(SHIPPED, site, 1e-2, people).score  # noqa: E731
        calibrator = SiteCalibrator(store, tmp_path / "site.json", cohort=cohort, door_cut=door_cut)
        before = calibrator.refresh()
        assert before.n_cohort == 304
        store.add_person("new", "Newcomer", ["staff"], now=2000.0)
        store.add_face("new", newcomer, "enrolled")
        now[0] = 3000.0
        cohort.add(visits[0])  # seen again after enrollment and not identified: kept
        after = calibrator.refresh()
        assert after.n_cohort == 301  # 4 earlier visits forgotten; the 300 strangers and the later one kept
        assert len(cohort) == 301
        contaminated = calibrate_site(store.snapshot().view(None), np.concatenate([cohort.vectors(), visits]))
        assert after.table is not None and contaminated.table is not None
        assert after.table.threshold_for(1e-4).score < contaminated.table.threshold_for(1e-4).score
        cohort.close()
