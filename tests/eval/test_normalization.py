"""Cohort score normalization, evaluated on two synthetic populations: one whose faces share a
direction (its impostors score high, as East Asian faces do against FaceNet) and one without."""

from __future__ import annotations

import numpy as np
import pytest

from edge.eval.identify import enrolled_view, make_probes
from edge.eval.normalization import normalization_report

DIM = 32


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def population(rng: np.random.Generator, prefix: str, shared: float, people: int, strangers: int
               ) -> tuple[dict[str, list[np.ndarray]], dict[str, list[np.ndarray]]]:
    common = rng.normal(size=DIM)

    def faces(identity: np.ndarray, n: int) -> list[np.ndarray]:
        return list(unit(common * shared + identity + rng.normal(size=(n, DIM)) * 0.3))

    identities = {f"{prefix}{i}": rng.normal(size=DIM) for i in range(people)}
    gallery = {name: faces(v, 3) for name, v in identities.items()}
    probes = {name: faces(v, 2) for name, v in identities.items()}
    probes |= {f"{prefix}-stranger{i}": faces(rng.normal(size=DIM), 1) for i in range(strangers)}
    return gallery, probes


def test_normalization_lowers_the_false_accepts_of_a_population_that_scores_high() -> None:
    rng = np.random.default_rng(0)
    high_gallery, high_probes = population(rng, "h", 1.5, 20, 400)
    low_gallery, low_probes = population(rng, "l", 0.0, 20, 400)
    view = enrolled_view(high_gallery | low_gallery)
    report = normalization_report(view, {"high": make_probes(high_probes), "low": make_probes(low_probes)},
                                  rate=1e-2)
    raw = report["normalizations"]["none"]
    assert raw["high"]["false_accept"] > 1.5e-2 and raw["low"]["false_accept"] < 5e-3  # one cut, unfair
    for normalization, figures in report["normalizations"].items():
        pooled = sum(f["false_accept"] * f["n_impostor_comparisons"] for f in figures.values()) / sum(
            f["n_impostor_comparisons"] for f in figures.values())
        assert pooled == pytest.approx(1e-2, rel=0.05), normalization  # the cut is the pooled one
        assert figures["high"]["n_genuine"] == figures["low"]["n_genuine"] == 40  # 2 photos x 20 people
        if normalization != "none":
            assert figures["high"]["false_accept"] < raw["high"]["false_accept"]
    assert report["n_cohort"] == 400  # half of each population's strangers


def test_a_population_without_strangers_is_refused() -> None:
    rng = np.random.default_rng(2)
    gallery, probes = population(rng, "p", 0.0, 5, 0)
    with pytest.raises(ValueError, match="needs strangers"):
        normalization_report(enrolled_view(gallery), {"only": make_probes(probes)}, rate=1e-2)


def test_a_cohort_too_small_to_normalize_by_is_refused() -> None:
    rng = np.random.default_rng(3)
    gallery, probes = population(rng, "p", 0.0, 5, 20)
    with pytest.raises(ValueError, match="too small to normalize"):
        normalization_report(enrolled_view(gallery), {"few": make_probes(probes)}, rate=1e-2)
