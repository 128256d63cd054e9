"""Open-set 1:N figures on hand-made embeddings: templates, fused probes, the door's cut."""

from __future__ import annotations

import numpy as np
import pytest

from edge.eval.identify import (
    cohort_folds,
    enrolled_view,
    identification_report,
    make_probes,
    rates_at,
    search_probes,
)
from edge.identify.thresholds import FarTable


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, np.float32)
    return vector / np.linalg.norm(vector)


GALLERY = {"ann": [unit(1, 0, 0)], "bob": [unit(0, 1, 0), unit(0, 0.9, 0.1)]}
PROBES = {
    "ann": [unit(1, 0.1, 0)],  # genuine, close to ann
    "bob": [unit(0.8, 0.6, 0)],  # genuine, but nearer ann: a misidentification when accepted
    "eve": [unit(0, 0, 1)],  # impostor, far from everyone
    "zed": [unit(0.1, 1, 0)],  # impostor, close to bob
}


def test_rates_at_a_threshold() -> None:
    outcome = search_probes(enrolled_view(GALLERY), make_probes(PROBES))
    assert outcome.genuine.tolist() == [True, True, False, False]
    assert outcome.correct.tolist() == [True, False, False, False]
    assert rates_at(outcome, 0.7) == {"threshold": 0.7, "tpir": 0.5, "fpir": 0.5, "misid": 0.5}
    assert rates_at(outcome, 0.999) == {"threshold": 0.999, "tpir": 0.0, "fpir": 0.0, "misid": 0.0}


def test_probes_fuse_runs_of_images_of_one_identity() -> None:
    ann = [unit(1, 0.2, 0), unit(1, -0.2, 0), unit(0, 0, 1)]
    probes = make_probes({"ann": ann, "eve": [unit(0, 1, 0)]}, 2)
    assert [(p.identity, p.frames) for p in probes] == [("ann", 2), ("ann", 1), ("eve", 1)]
    assert probes[0].vector == pytest.approx(unit(1, 0, 0), abs=1e-6)  # the two frames' noise cancels


def test_each_fold_of_strangers_is_judged_with_the_other_as_the_cohort() -> None:
    probes = make_probes({name: [unit(1, i, 0)] for i, name in enumerate(["ann", "s1", "s2", "s3", "s4"])})
    assert cohort_folds(probes, ("ann",)) == [{"s1", "s3"}, {"s2", "s4"}]


def test_the_cut_follows_the_site_population_not_the_shipped_table() -> None:
    """Strangers that score high against the gallery (a population unlike the shipped table's)
    raise the door's cut so that they are not accepted; with the cut met, the report states the
    policy, and genuine fused probes still pass."""
    rng = np.random.default_rng(3)
    dim, people = 32, 20
    common = unit(*rng.normal(size=dim))  # the population's shared direction: high impostor scores

    def face(identity: np.ndarray) -> np.ndarray:
        return unit(*(common * 3 + identity * 1.2 + rng.normal(size=dim) * 0.35))

    identities = [rng.normal(size=dim) for _ in range(people)]
    gallery = {f"p{i}": [face(v) for _ in range(4)] for i, v in enumerate(identities)}
    probes = {f"p{i}": [face(v) for _ in range(5)] for i, v in enumerate(identities)}
    probes |= {f"s{i}": [face(rng.normal(size=dim))] for i in range(600)}
    shipped = FarTable.from_pairs("cosine", [(0.3, 0.1), (0.5, 1e-8)])  # far too lenient here
    view = enrolled_view(gallery)
    report = identification_report(view, make_probes(probes, 5), shipped, far_policy=1e-2)
    assert report["calibration"] == "site+shipped" and not report["policy_unreachable"]
    shipped_cut = shipped.threshold_for(report["far_1to1"]).score
    assert report["threshold"] > shipped_cut + 0.2
    assert rates_at(search_probes(view, make_probes(probes, 5)), shipped_cut)["fpir"] > 0.5  # 50x the policy
    assert report["fpir"] <= 2 * report["fpir_promised"] and report["fpir_promised"] <= 1e-2 * (1 + 1e-9)
    assert report["tpir"] > 0.9 and report["probe_frames"] == 5


def test_a_policy_no_table_reaches_grants_nobody() -> None:
    shipped = FarTable.from_pairs("cosine", [(0.5, 0.1), (0.9, 0.001)])
    report = identification_report(enrolled_view(GALLERY), make_probes(PROBES), shipped, far_policy=1e-6,
                                   cross_fit=False)
    assert report["policy_unreachable"] and report["calibration"] == "shipped"
    assert report["fpir_promised"] > 1e-6 and report["tpir"] == 0 and report["fpir"] == 0
